// Package routertest runs httpauth's shared suite (authtest) on routers
// that take net/http middleware as it is, chi and gorilla/mux, in a module
// of its own so that neither router enters freshtoken's go.mod. It holds
// tests only.
package routertest
