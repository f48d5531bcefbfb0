// Command server is a small JSON API protected by freshtoken: log in, call
// an ordinary endpoint, refresh, be refused a sensitive call until you log in
// again, log out, and fetch the keys that verify the tokens.
//
//	go run ./examples/server                  # listens on 127.0.0.1:8080
//	go run ./examples/server -addr 127.0.0.1:9000 -key ed25519.pem
//
// The demo account is demo / demo-password. The endpoints are listed in
// package api, which holds the handler; this command reads its flags and
// the key, and serves it.
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
	flag.Parse()

	if err := run(*addr, *keyFile, api.Config{Username: *username, Password: *password, Iterations: *iterations}); err != nil {
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
	log.Printf("listening on http://%s (account %q)", ln.Addr(), cfg.Username)
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
