// A launched lesson or expression page (POST /lti/launch) opens on what the course named:
// the server puts that state in <meta name="chainrule-link"> as the app's own link query, and
// this module (run before the page's own, in document order) makes it the page's query.
const link = document.querySelector('meta[name="chainrule-link"]')?.getAttribute("content");
if (link) history.replaceState(null, "", `${location.pathname}?${link}`);
