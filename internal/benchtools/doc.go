// Package benchtools holds the helper programs scripts/bench.sh builds: a
// target server and a bare goproxy with the library's defaults. They are
// small on purpose: the script compares corscope with them side by side.
package benchtools
