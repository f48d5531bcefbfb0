package fiberauth

import (
	"context"
	"net/http"
	"net/url"

	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/gofiber/fiber/v2"
)

// This file is fiber's side of httpauth: a request httpauth reads, and a
// response httpauth writes.

// request is the httpauth.Request of a fiber.Ctx, for one guard's call.
type request struct {
	c  *fiber.Ctx
	hr *http.Request // made on the first HTTPRequest
}

var _ httpauth.Request = (*request)(nil)

func (r *request) Context() context.Context { return r.c.UserContext() }

// Method returns net/http's constant for the usual methods, so that
// nothing refers to fasthttp's buffer and nothing is allocated.
func (r *request) Method() string {
	m := r.c.Request().Header.Method()
	for _, known := range [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodConnect} {
		if string(m) == known {
			return known
		}
	}
	return string(m)
}

// Header copies the values out of fasthttp's buffer, which it reuses for
// the next request while the token may still be in the Manager's cache.
// fasthttp keeps each header line, so two Authorization headers stay two.
func (r *request) Header(name string) []string {
	values := r.c.Request().Header.PeekAll(name)
	if len(values) == 0 {
		return nil
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// HTTPRequest builds the *http.Request a FromFunc extractor or an
// ErrorWriter reads: method, URL, host, remote address, headers and the
// context, every string copied (fasthttpadaptor.ConvertRequest would share
// fasthttp's buffers, and keep only the last of repeated headers). The body
// is not carried over.
func (r *request) HTTPRequest() (*http.Request, error) {
	if r.hr != nil {
		return r.hr, nil
	}
	req := r.c.Request()
	uri := string(req.RequestURI())
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	h := make(http.Header)
	req.Header.VisitAll(func(k, v []byte) { h.Add(string(k), string(v)) })
	hr := (&http.Request{
		Method:     r.Method(),
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       string(req.Host()),
		RemoteAddr: r.c.Context().RemoteAddr().String(),
		RequestURI: uri,
	}).WithContext(r.c.UserContext())
	r.hr = hr
	return hr, nil
}

// httpRequest is HTTPRequest for an ErrorWriter, which must get a request
// even when the URL cannot be parsed.
func (r *request) httpRequest() *http.Request {
	if hr, err := r.HTTPRequest(); err == nil {
		return hr
	}
	return (&http.Request{Method: r.Method(), URL: &url.URL{Path: "/"}, Header: http.Header{}, Body: http.NoBody}).WithContext(r.c.UserContext())
}

// responseWriter is the http.ResponseWriter httpauth writes a refusal, a
// token response or an ErrorWriter's answer to: headers gathered, then
// sent to fiber's response with the status.
type responseWriter struct {
	c       *fiber.Ctx
	h       http.Header
	written bool
}

func (w *responseWriter) Header() http.Header {
	if w.h == nil {
		w.h = make(http.Header)
	}
	return w.h
}

func (w *responseWriter) WriteHeader(status int) {
	if w.written {
		return
	}
	w.written = true
	rh := &w.c.Response().Header
	for name, values := range w.h {
		if name != "Set-Cookie" { // http.Header.Set replaces; cookies add up
			rh.Del(name)
		}
		for _, v := range values {
			rh.Add(name, v)
		}
	}
	w.c.Status(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.c.Write(b)
}
