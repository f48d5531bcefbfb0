// Package browsertest drives the example server's browser page
// (examples/server, /app/) in headless Chromium, to check what only a
// browser can show: that page scripts cannot read the token cookies, that a
// form posted from another origin is refused, that the page refreshes an
// expired access token silently, that the refresh cookie travels only to its
// path, and that logout leaves no token cookie behind.
//
// It is a module of its own so that the core module never depends on
// chromedp. The test runs the server in process with a clock it moves, so no
// token expires by waiting. It needs Chromium (Debian's chromium package):
// without it the test skips, unless FRESHTOKEN_REQUIRE_BROWSER is set, which
// makes that a failure; CI sets it. Screenshots of each step go to
// $FRESHTOKEN_SCREENSHOTS when set, else to a temporary directory.
//
//	cd browsertest && FRESHTOKEN_SCREENSHOTS=/tmp/shots go test -v ./...
package browsertest
