package analyze

// initiatorWords says, in the terms the page used to make a request, how
// its credentials mode was chosen and what the page saw when the CORS
// check failed. fetch() and XMLHttpRequest choose the mode with an option;
// elements (<script>, <link rel="stylesheet">, <img>, media, manifests)
// with their crossorigin attribute; @font-face never sends credentials
// (reference/cors.md §2d). Wording an element load in fetch() terms sends
// the reader looking for code that does not exist.
type initiatorWords struct {
	ifInclude string // Alternative.If for credentials mode include
	ifOmit    string // Alternative.If for any other mode
	// depends is DependsOn when only the credentials mode is unknown.
	depends string
	// withCreds says how the page asked for credentials; dropCreds how
	// to stop sending them (both for explanations).
	withCreds, dropCreds string
	// failed is what the page sees when the CORS check fails.
	failed string
}

const (
	ifInclude = "the request was made with credentials (fetch credentials: 'include' or XHR withCredentials = true)"
	ifOmit    = "the request was made without credentials (fetch's default, or credentials: 'omit')"

	dependsCredentials = "the request's credentials mode, which the wire does not show: no Cookie was sent, which happens both for requests without credentials and for credentialed requests with no cookie to send"
)

var (
	fetchWords = initiatorWords{
		ifInclude: ifInclude,
		ifOmit:    ifOmit,
		depends:   dependsCredentials,
		withCreds: "fetch credentials: 'include' or XHR withCredentials",
		dropCreds: "send the request without credentials",
		failed:    `fetch rejects with "TypeError: Failed to fetch"`,
	}
	xhrWords = initiatorWords{
		ifInclude: "the request was made with credentials (XHR withCredentials = true)",
		ifOmit:    "the request was made without credentials (XHR's default, withCredentials = false)",
		depends:   "the credentials mode, i.e. whether the XMLHttpRequest set withCredentials, which the wire does not show: no Cookie was sent, which happens both without withCredentials and with it when there is no cookie to send",
		withCreds: "XHR withCredentials = true",
		dropCreds: "leave withCredentials off",
		failed:    "the XMLHttpRequest fires an error event with status 0",
	}
	// unknownWords: a GET that recorded neither Sec-Fetch-Dest nor a HAR
	// resource type, and whose headers do not betray an element either.
	unknownWords = initiatorWords{
		ifInclude: "the request was made with credentials (fetch credentials: 'include', XHR withCredentials = true, or an element marked crossorigin=\"use-credentials\")",
		ifOmit:    "the request was made without credentials (fetch's default or credentials: 'omit', XHR without withCredentials, or an element marked crossorigin or crossorigin=\"anonymous\")",
		depends:   dependsCredentials,
		withCreds: "fetch credentials: 'include', XHR withCredentials, or crossorigin=\"use-credentials\" on an element",
		dropCreds: "send the request without credentials",
		failed:    `fetch rejects with "TypeError: Failed to fetch"; an element fires an error event`,
	}
	genericWords = initiatorWords{
		ifInclude: "the request was made with credentials (credentials mode 'include')",
		ifOmit:    "the request was made without credentials (credentials mode 'same-origin' or 'omit')",
		depends:   dependsCredentials,
		withCreds: "credentials mode 'include'",
		dropCreds: "load it without credentials",
		failed:    "the load fails",
	}
	fontWords = func() initiatorWords {
		w := genericWords
		w.failed = "the page falls back to another font"
		return w
	}()
	scriptWords     = elementWords(`<script>`, " (module scripts load this way unless they say use-credentials)", "the script does not run and the <script> fires an error event")
	stylesheetWords = elementWords(`<link rel="stylesheet">`, "", "the stylesheet is not applied")
	imageWords      = elementWords(`<img>`, "", "the image does not load and the <img> fires an error event")
	audioWords      = elementWords(`<audio>`, "", "the audio does not load")
	videoWords      = elementWords(`<video>`, "", "the video does not load")
	trackWords      = elementWords(`<video> or <audio> holding the <track>`, "", "the text track does not load")
	manifestWords   = elementWords(`<link rel="manifest">`, "", "the web app manifest is ignored")
)

// elementWords words the credentials modes of an element load: the
// crossorigin attribute decides them (any value but "use-credentials",
// including an empty or invalid one, means no credentials to another
// origin).
func elementWords(el, omitNote, failed string) initiatorWords {
	return initiatorWords{
		ifInclude: "the " + el + ` was marked crossorigin="use-credentials" (a credentialed load)`,
		ifOmit:    "the " + el + ` was marked crossorigin or crossorigin="anonymous" (a load without credentials)` + omitNote,
		depends: "the crossorigin attribute of the " + el + ` that made this request, which the wire does not show: crossorigin="anonymous" sends no cookies, ` +
			`and crossorigin="use-credentials" with no cookie to send looks the same`,
		withCreds: "the " + el + ` is marked crossorigin="use-credentials"`,
		dropCreds: `mark the ` + el + ` crossorigin="anonymous" if it needs no cookies`,
		failed:    failed,
	}
}

// wordsFor returns the wording for a console kind.
func wordsFor(k consoleKind) *initiatorWords {
	switch k {
	case kindFetch:
		return &fetchWords
	case kindXHR:
		return &xhrWords
	case "script":
		return &scriptWords
	case "CSS stylesheet":
		return &stylesheetWords
	case "image":
		return &imageWords
	case "audio":
		return &audioWords
	case "video":
		return &videoWords
	case "text track":
		return &trackWords
	case "manifest":
		return &manifestWords
	case "font":
		return &fontWords
	}
	return &genericWords
}
