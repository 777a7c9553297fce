// Package demo is `corscope demo`: a small web app whose API makes the
// classic CORS mistakes, and a driver that sends the app's traffic through
// corscope's proxy, so that a first-time user sees the whole product on
// real flows in a few seconds.
//
// The app is two loopback servers started on free ports: a frontend (the
// page a dev server would serve on http://localhost:PORT) and an API whose
// routes each get CORS wrong in one well-known way, plus two routes that
// get it right. The page calls every route with fetch() when it loads.
//
// The traffic is driven by real headless Chromium when one is installed
// (the page is loaded through the proxy and its fetch() calls are the
// browser's own), and otherwise by the probe engine of package analyze,
// which sends the requests Chromium would send, preflights included. The
// demo says which one ran; with Chromium it also reads the browser's own
// verdict of each call over the DevTools protocol and shows it next to
// corscope's.
//
// Calls lists what the page does and what each call demonstrates; NewAPI
// and NewFrontend are the two servers; Start runs everything.
package demo
