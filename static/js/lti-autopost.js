// The deep-linking answer goes back to the course as a form POST, sent at once (the button
// stays for a browser that blocks it).
document.getElementById("lti-return")?.submit();
