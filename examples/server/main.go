// Command server is a small JSON API protected by freshtoken: log in, call
// an ordinary endpoint, refresh, be refused a sensitive call until you log in
// again, log out, and fetch the keys that verify the tokens. It also serves
// a browser page at /app/ that does the same with its tokens in HttpOnly
// cookies.
//
//	go run ./examples/server                  # listens on 127.0.0.1:8080
//	go run ./examples/server -addr 127.0.0.1:9000 -key ed25519.pem
//	go run ./examples/server -access-ttl 30s  # see the page refresh silently
//
// The demo account is demo / demo-password; open http://localhost:8080/app/
// for the page. The cookies are Secure: Chrome and Firefox keep them over
// http://localhost, Safari and any other plain-http address need
// -insecure-cookies. The endpoints are listed in package api, which holds
// the handler; this command reads its flags and the key, and serves it.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/freshtoken/freshtoken/examples/server/api"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	keyFile := flag.String("key", "", "PEM file with an Ed25519 private key (PKCS #8); empty: generate one at start")
	username := flag.String("user", "demo", "the demo account's user name")
	password := flag.String("password", "demo-password", "the demo account's password")
	iterations := flag.Int("pbkdf2-iterations", api.DefaultIterations, "PBKDF2-HMAC-SHA256 iterations for the password hash")
	accessTTL := flag.Duration("access-ttl", 0, "access token lifetime; 0: 15m")
	refreshTTL := flag.Duration("refresh-ttl", 0, "refresh token lifetime, the longest a session lasts; 0: 720h")
	maxSessions := flag.Int("max-sessions", 0, "the most live sessions the account may have; a login beyond ends the oldest; 0: no cap")
	insecure := flag.Bool("insecure-cookies", false, "drop Secure from the browser page's cookies, for Safari on http://localhost or a plain-http address; anyone on the path can then read them")
	flag.Parse()

	cfg := api.Config{
		Username:           *username,
		Password:           *password,
		Iterations:         *iterations,
		AccessTTL:          *accessTTL,
		RefreshTTL:         *refreshTTL,
		InsecureCookies:    *insecure,
		MaxSessionsPerUser: *maxSessions,
	}
	if err := run(*addr, *keyFile, cfg); err != nil {
		log.Fatal(err)
	}
}

func run(addr, keyFile string, cfg api.Config) error {
	if keyFile != "" {
		key, err := loadKey(keyFile)
		if err != nil {
			return err
		}
		cfg.Key = key
	}
	handler, err := api.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("listening on http://%s (account %q); the browser page is at /app/", ln.Addr(), cfg.Username)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadKey reads an Ed25519 private key in a PKCS #8 PEM block, as
// `openssl genpkey -algorithm ed25519` writes it.
func loadKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PEM block of type PRIVATE KEY", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ed, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an Ed25519 key", path, key)
	}
	return ed, nil
}
