# Copyright: mailops.postfix contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reader of Markdown code blocks for the readme stage's scripts."""

import re

FENCE = re.compile(r'^```(\w*)\s*$')


def fenced_blocks(text):
    """Every fenced code block of a Markdown text, in order, with the prose before it:
    (prose, start, language, body). ``prose`` holds the (line number, line) pairs outside any block since the
    previous one; ``start`` is the line number of the opening fence; ``language`` its info word ('' when none);
    ``body`` the (line number, line) pairs inside. A block left open at the end is not yielded."""
    prose, start, language, body = [], None, None, []
    for number, line in enumerate(text.splitlines(), 1):
        fence = FENCE.match(line.strip())
        if fence and start is None:
            start, language, body = number, fence.group(1), []
        elif fence:
            yield prose, start, language, body
            prose, start = [], None
        elif start is None:
            prose.append((number, line))
        else:
            body.append((number, line))
