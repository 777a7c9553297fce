// Package agreement proves that corscope decides what Chromium decides.
//
// It holds only tests. TestAgreement starts loopback servers for a page
// origin, two API origins and an HTTPS API, runs every scenario of the
// table in scenarios_test.go in headless Chromium twice (once through a
// running corscope proxy, once direct), reads Chromium's own verdict over
// the DevTools protocol (Network.loadingFailed.corsErrorStatus, preflight
// requests, Audits.issueAdded), and compares it with the verdict
// analyze.AnalyzeAll reaches from the flows the proxy recorded.
//
// Run it alone with
//
//	go test ./agreement -v -run Agreement
//
// It needs Chromium (Debian: apt-get install -y chromium). Without it the
// test skips, unless CORSCOPE_REQUIRE_CHROMIUM=1 is set, as CI does, in
// which case a missing browser is a failure.
package agreement
