import pytest
from django.conf import settings
from django.test import Client


@pytest.fixture
def sign_in(live_server, context):
    """Put a real session for `user` into the browser context: sign-in itself is tested apart."""

    def sign_in(user, browser_context=None):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        (browser_context or context).add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "url": live_server.url,
                }
            ]
        )

    return sign_in


@pytest.fixture
def csp_violations(page):
    """Content-Security-Policy violations: console reports and the page's own violation events."""
    found = []

    def console(message):
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            found.append(message.text)

    page.on("console", console)
    # The console does not report everything (e.g. a blocked inline style attribute may only
    # fire the event), so the document tells us too. Init scripts are not subject to the CSP.
    page.expose_function("__glossCspViolation", lambda text: found.append(text))
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (e) => {
             window.__glossCspViolation(
               `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ` +
               `${e.sourceFile || document.URL}:${e.lineNumber} ${e.sample || ""}`);
           });"""
    )
    return found


SELECT_JS = """([position, phrase, endPosition, endPhrase]) => {
  // Screen coordinates of the first character of `phrase` in block `position` and of the last
  // character of `endPhrase` in block `endPosition`, so the test can drag the real mouse.
  function point(pos, text, atEnd) {
    const el = document.querySelector(`[data-block="${pos}"] [data-block-text]`);
    const full = el.textContent;
    let index = full.indexOf(text);
    if (index < 0) throw new Error(`"${text}" not in block ${pos}`);
    if (atEnd) index += text.length - 1;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node, seen = 0;
    while ((node = walker.nextNode())) {
      if (seen + node.length > index) break;
      seen += node.length;
    }
    const range = document.createRange();
    const offset = index - seen;
    // A character outside the BMP is two UTF-16 units: measure it whole.
    const width = (full.codePointAt(index) > 0xffff) ? 2 : 1;
    range.setStart(node, offset);
    range.setEnd(node, Math.min(offset + width, node.length));
    const rect = range.getClientRects()[0];
    return {x: atEnd ? rect.right - 1 : rect.left + 1, y: rect.top + rect.height / 2};
  }
  const a = point(position, phrase, false);
  const b = point(endPosition, endPhrase, true);
  return {a, b};
}"""


def drag_select(page, position, phrase, end_position=None, end_phrase=None):
    """Select from the start of `phrase` to the end of `end_phrase` with a real mouse drag."""
    end_position = end_position or position
    end_phrase = end_phrase or phrase
    page.locator(f'[data-block="{position}"]').scroll_into_view_if_needed()
    points = page.evaluate(SELECT_JS, [position, phrase, end_position, end_phrase])
    page.mouse.move(points["a"]["x"], points["a"]["y"])
    page.mouse.down()
    page.mouse.move((points["a"]["x"] + points["b"]["x"]) / 2, points["b"]["y"], steps=4)
    page.mouse.move(points["b"]["x"], points["b"]["y"], steps=4)
    page.mouse.up()
