package demo

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// NewAPI returns the demo API. pageOrigin is the frontend's origin, the one
// a correct configuration allows (e.g. "http://localhost:41234").
//
// The API is written the way real ones are: a router, a small CORS
// middleware, an authentication middleware. Each route gets one thing
// wrong, the way it goes wrong in practice, except /api/status and
// /api/cart, which are the working controls.
func NewAPI(pageOrigin string) http.Handler {
	mux := http.NewServeMux()

	// No CORS at all: the route was added outside the CORS middleware.
	mux.HandleFunc("GET /api/products", products)

	// The allowed origin is the production site, hard-coded; the dev
	// server's origin is not it.
	mux.Handle("GET /api/users", cors{origin: wrongOrigin}.wrap(http.HandlerFunc(users)))

	// The allowed origin was copied from the address bar: trailing slash.
	mux.Handle("GET /api/orders", cors{origin: pageOrigin + "/"}.wrap(http.HandlerFunc(orders)))

	// "Allow everything", on a route that reads the session cookie: the
	// browser refuses '*' when the request carries credentials.
	mux.Handle("GET /api/me", cors{origin: "*", credentials: true}.wrap(http.HandlerFunc(me)))

	// The middleware allows the methods of the tutorial it came from.
	mux.Handle("/api/users/{id}", cors{origin: pageOrigin, methods: "GET, POST", headers: "Content-Type"}.wrap(
		http.HandlerFunc(updateUser)))

	// The allowed headers predate the X-Request-Id tracing header.
	mux.Handle("/api/checkout", cors{origin: pageOrigin, methods: "GET, POST", headers: "Content-Type"}.wrap(
		http.HandlerFunc(checkout)))

	// Authentication wraps CORS, so it answers the preflight (which never
	// carries the token) with 401 before CORS can.
	mux.Handle("/api/invoices", requireToken(cors{origin: pageOrigin, methods: "GET", headers: "Authorization"}.wrap(
		http.HandlerFunc(invoices))))

	// The CORS headers are added to every response, but only the router
	// answers OPTIONS, and it knows DELETE only: 405.
	items := http.NewServeMux()
	items.HandleFunc("DELETE /api/cart/items/{id}", deleteItem)
	mux.Handle("/api/cart/items/", corsHeadersOnly{origin: pageOrigin, methods: "DELETE"}.wrap(items))

	// The canonical URL ends with a slash, and the redirect to it (a 301,
	// as Django's APPEND_SLASH sends) comes before CORS: the preflight is
	// redirected too.
	mux.Handle("/api/settings", appendSlash())
	mux.Handle("/api/settings/", cors{origin: pageOrigin, methods: "PUT", headers: "Content-Type"}.wrap(
		http.HandlerFunc(settings)))

	// The controls.
	mux.Handle("GET /api/status", cors{origin: pageOrigin}.wrap(http.HandlerFunc(status)))
	mux.Handle("/api/cart", cors{origin: pageOrigin, credentials: true, methods: "GET, PUT, DELETE",
		headers: "Authorization, Content-Type, X-Request-Id", maxAge: 600}.wrap(http.HandlerFunc(cart)))

	return mux
}

// cors is the API's CORS middleware: it answers preflights itself and adds
// the allow headers to the other responses, from a fixed configuration
// (which is where the mistakes are).
type cors struct {
	origin      string // Access-Control-Allow-Origin, exactly as configured
	credentials bool
	methods     string
	headers     string
	maxAge      int
}

func (c cors) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", c.origin)
		if c.credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.origin != "*" {
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if c.methods != "" {
				h.Set("Access-Control-Allow-Methods", c.methods)
			}
			if c.headers != "" {
				h.Set("Access-Control-Allow-Headers", c.headers)
			}
			if c.maxAge > 0 {
				h.Set("Access-Control-Max-Age", strconv.Itoa(c.maxAge))
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// corsHeadersOnly adds the allow headers to every response and leaves the
// rest, OPTIONS included, to the handler: the "after" hook some frameworks
// make easy.
type corsHeadersOnly struct {
	origin, methods string
}

func (c corsHeadersOnly) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", c.origin)
		h.Set("Access-Control-Allow-Methods", c.methods)
		h.Add("Vary", "Origin")
		next.ServeHTTP(w, r)
	})
}

// appendSlash redirects permanently to the same path with a trailing slash.
func appendSlash() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := *r.URL
		u.Path += "/"
		http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
	})
}

// requireToken refuses requests without a bearer token.
func requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing bearer token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	// The demo's requests must reach the proxy every time they are made.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type product struct {
	SKU   string  `json:"sku"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

func products(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []product{{"A-1", "Mechanical keyboard", 89}, {"B-2", "USB-C hub", 35}})
}

type user struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

func users(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []user{{42, "Ada Lovelace", "ada@example.com"}, {43, "Alan Turing", "alan@example.com"}})
}

func orders(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []map[string]any{{"id": 1001, "status": "shipped"}, {"id": 1002, "status": "pending"}})
}

func me(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie("session"); err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not signed in"})
		return
	}
	writeJSON(w, http.StatusOK, user{42, "Ada Lovelace", "ada@example.com"})
}

func updateUser(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut && r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id, _ := strconv.Atoi(r.PathValue("id"))
	writeJSON(w, http.StatusOK, user{id, "Ada Lovelace", "ada@example.com"})
}

func checkout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"order": 1003, "status": "pending"})
}

func invoices(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []map[string]any{{"id": "INV-2024-001", "total": 124}})
}

func deleteItem(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNoContent)
}

func settings(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"theme": "dark"})
}

func status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func cart(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie("session"); err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not signed in"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": []map[string]any{{"sku": "A-1", "qty": 2}}})
}
