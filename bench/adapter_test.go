package bench

import (
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/echoauth"
	"github.com/freshtoken/freshtoken/fiberauth"
	"github.com/freshtoken/freshtoken/ginauth"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"
)

// BenchmarkAdapter is what each framework's guard costs per request over
// the bare guard (BenchmarkAdapter/bare/RequireAccess: Manager.RequireAccess
// called directly): a GET with a valid bearer token through the framework's
// router to a handler that writes "ok", with the guard (RequireAccess) and
// without it (none), so that RequireAccess minus none minus bare is the
// adapter's own cost. The Manager keeps verified tokens (VerifiedCacheSize),
// as a busy service would, so the guard is cheap and the adapter's share
// shows; without the cache an Ed25519 check adds tens of microseconds to
// every row alike. It is not part of run.sh's RESULTS.md.
func BenchmarkAdapter(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	m, err := freshtoken.New(freshtoken.Config{
		Key:               ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		VerifiedCacheSize: 1024,
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := m.Issue(context.Background(), "user-42")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("bare/RequireAccess", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.RequireAccess(ctx, p.Access); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, guarded := range []bool{false, true} {
		name := "/none"
		if guarded {
			name = "/RequireAccess"
		}
		b.Run("nethttp"+name, func(b *testing.B) { benchHandler(b, netHTTPApp(b, m, guarded), p.Access) })
		b.Run("gin"+name, func(b *testing.B) { benchHandler(b, ginApp(b, m, guarded), p.Access) })
		b.Run("echo"+name, func(b *testing.B) { benchHandler(b, echoApp(b, m, guarded), p.Access) })
		b.Run("fiber"+name, func(b *testing.B) { benchFiber(b, fiberApp(b, m, guarded), p.Access) })
	}
}

// discard is a ResponseWriter that keeps nothing, reused across requests.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchHandler(b *testing.B, h http.Handler, tok string) {
	r := httptest.NewRequest("GET", "/me", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: make(http.Header)}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

func benchFiber(b *testing.B, app *fiber.App, tok string) {
	h := app.Handler()
	var c fasthttp.RequestCtx
	c.Request.Header.SetMethod("GET")
	c.Request.SetRequestURI("/me")
	c.Request.Header.Set("Authorization", "Bearer "+tok)
	h(&c)
	if c.Response.StatusCode() != http.StatusOK {
		b.Fatalf("status %d: %s", c.Response.StatusCode(), c.Response.Body())
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Response.Reset()
		h(&c)
	}
}

func netHTTPApp(b *testing.B, m *freshtoken.Manager, guarded bool) http.Handler {
	mw, err := httpauth.New(m, httpauth.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	if guarded {
		h = mw.RequireAccess(h)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /me", h)
	return mux
}

func ginApp(b *testing.B, m *freshtoken.Manager, guarded bool) http.Handler {
	auth, err := ginauth.New(m, httpauth.Config{})
	if err != nil {
		b.Fatal(err)
	}
	chain := []gin.HandlerFunc{func(c *gin.Context) { c.String(http.StatusOK, "ok") }}
	if guarded {
		chain = append([]gin.HandlerFunc{auth.RequireAccess}, chain...)
	}
	r := gin.New()
	r.GET("/me", chain...)
	return r
}

func echoApp(b *testing.B, m *freshtoken.Manager, guarded bool) http.Handler {
	auth, err := echoauth.New(m, httpauth.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var mws []echo.MiddlewareFunc
	if guarded {
		mws = append(mws, auth.RequireAccess)
	}
	e := echo.New()
	e.GET("/me", func(c echo.Context) error { return c.String(http.StatusOK, "ok") }, mws...)
	return e
}

func fiberApp(b *testing.B, m *freshtoken.Manager, guarded bool) *fiber.App {
	auth, err := fiberauth.New(m, httpauth.Config{})
	if err != nil {
		b.Fatal(err)
	}
	chain := []fiber.Handler{func(c *fiber.Ctx) error { return c.SendString("ok") }}
	if guarded {
		chain = append([]fiber.Handler{auth.RequireAccess}, chain...)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/me", chain...)
	return app
}
