package freshtoken

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
)

// This file holds the keys a Verifier trusts at one moment (keyRing) and
// the Manager's calls that replace them: RotateKey, RetireKey and KeyIDs.
//
// A keyRing is never changed once a Verifier holds it: RotateKey and
// RetireKey build a new one and swap it in whole (Verifier.ring), so a
// guard reads its keys without a lock, once per token, and sees either the
// old ring or the new one, never a mix.

// keyRing is the keys of a Verifier at one moment.
type keyRing struct {
	signing *signingKey // signs new tokens; nil for a Verifier from NewVerifier
	keys    []*key      // the signing key first, then the verification keys, the newest first

	// The encoded headers of the tokens signing signs (empty without one).
	accessHeader, refreshHeader string
	known                       []knownHeader // headers that need no decoding (verify.go)

	jwks struct { // the public keys as a JWK Set, encoded on first use (jwks.go)
		once sync.Once
		body []byte
		err  error
	}
}

// newKeyRing returns the ring of sk (nil for a Verifier) and verify. The
// headers sk writes become shortcuts, checked first; of the shortcuts of
// prev (nil for the first ring), those whose key stays in the ring are
// kept after them: the tokens of a signing key that RotateKey replaced
// keep the shortcut until the key is retired, and no retired key keeps one.
func (v *Verifier) newKeyRing(sk *signingKey, verify []*key, prev *keyRing) *keyRing {
	r := &keyRing{signing: sk}
	if sk != nil {
		r.keys = append(r.keys, &sk.key)
		r.accessHeader, r.refreshHeader = v.format.header(AccessToken, &sk.key), v.format.header(RefreshToken, &sk.key)
	}
	r.keys = append(r.keys, verify...)
	if sk != nil {
		v.learnHeaders(r)
	}
	if prev != nil {
		for _, h := range prev.known {
			if r.holds(h.key) && !r.knows(h.encoded) {
				r.known = append(r.known, h)
			}
		}
	}
	return r
}

// header is the encoded header of a token of type t that r.signing signs.
func (r *keyRing) header(t TokenType) string {
	if t == AccessToken {
		return r.accessHeader
	}
	return r.refreshHeader
}

// find returns the key with the given ID, or nil.
func (r *keyRing) find(id string) *key {
	for _, k := range r.keys {
		if k.id == id {
			return k
		}
	}
	return nil
}

// holds reports whether k itself (not another key with its ID) is one of
// r's keys: what a cached token needs of the key that verified it.
func (r *keyRing) holds(k *key) bool {
	for _, have := range r.keys {
		if have == k {
			return true
		}
	}
	return false
}

// verifying returns r's verification keys: all its keys but the signing key.
func (r *keyRing) verifying() []*key {
	if r.signing != nil {
		return r.keys[1:]
	}
	return r.keys
}

// RotateKey makes key sign every token from now on, and keeps the key that
// signed until now as a verification key, so the tokens it signed keep
// working and JWKSHandler keeps publishing it. It returns that previous
// key's ID, to give RetireKey once its tokens no longer matter. key is any
// value Config.Key accepts; its algorithm and key ID are found as for
// Config.Key with Config.Algorithm and Config.KeyID empty, so a key that
// needs another algorithm (PS256 for an RSA key, HS512 for a secret) or a
// chosen ID must come as a jwk.Key carrying its "alg" and "kid".
//
// A rotation takes three steps:
//
//  1. RotateKey(newKey): newKey signs; the old key verifies and is published.
//  2. Wait until the old key's tokens no longer matter: RefreshTTL after
//     the rotation, every token it signed has expired. Retiring it sooner
//     (AccessTTL later, once its access tokens have expired) ends the
//     sessions whose refresh token it signed: their users log in again.
//  3. RetireKey(previousKeyID): the old key's tokens fail from then on.
//
// RotateKey and RetireKey are safe to call while requests run. Every guard
// reads the Manager's keys as one value, the keys before a call or the keys
// after it, never a mix, and takes no lock to do so; a token Issue or
// Refresh returns is signed by a key that every guard of this Manager
// accepts at that moment. The keys live in this Manager alone: several
// instances of a service must each be told (see "Key rotation" in the
// package documentation for how to leave no window between them), and a
// restart goes back to Config.Key and Config.VerifyKeys.
//
// A key that is a verification key already, with the same material,
// algorithm and ID, is promoted: it signs, and the current key verifies.
// This rolls back a rotation (give the key the last RotateKey replaced),
// and switches instances that all verify a new key already (in
// Config.VerifyKeys) to signing with it.
//
// Errors match ErrInvalidKey for a key that Config.Key would refuse, or
// whose ID another key of the Manager uses (the current signing key, or a
// different key with that ID), and ErrInvalidConfig when Config.MaxTokenSize
// is too small for the tokens the new key would sign. Under Config.Flask
// with Config.KeyID set, RotateKey always fails with ErrInvalidConfig:
// every token's header then carries Config.KeyID, which does not change
// with the key, so the tokens of the old and new keys could not be told
// apart. Restart with the new key as Config.Key, its ID as Config.KeyID,
// and the old key in Config.VerifyKeys as a jwk.Key carrying its "kid"
// instead. Under Config.Flask without Config.KeyID, tokens name no key, and
// each is checked against every key of its algorithm, the signing key
// first, then the others, newest first; a Flask-JWT-Extended service that
// shares the tokens verifies with its one JWT_SECRET_KEY or JWT_PUBLIC_KEY,
// and so refuses the tokens of whichever key it does not hold. On failure
// nothing changes and the previous key ID is "".
func (m *Manager) RotateKey(key any) (previousKeyID string, err error) {
	if kid := m.format.fixedKeyID(); kid != "" {
		return "", withDetail(ErrInvalidConfig, fmt.Sprintf(
			"under Config.Flask with Config.KeyID %q, every token names that key ID, whatever key signs it, so the old key's tokens and the new one's could not be told apart: restart with the new Config.Key and Config.KeyID, and the old key in Config.VerifyKeys as a jwk.Key carrying its kid",
			kid))
	}
	sk, err := prepareSigningKey(key, "", "", "the key given to RotateKey")
	if err != nil {
		return "", err
	}
	m.keysMu.Lock()
	defer m.keysMu.Unlock()
	old := m.ring.Load()
	verify, err := rotatedKeys(old, sk)
	if err != nil {
		return "", err
	}
	r := m.newKeyRing(sk, verify, old)
	if err := m.checkMaxTokenSize(r, m.maxSize); err != nil {
		return "", err
	}
	m.ring.Store(r)
	return old.signing.id, nil
}

// rotatedKeys returns the verification keys once sk replaces old's signing
// key: that key first, then old's verification keys but the one sk
// promotes, if any.
func rotatedKeys(old *keyRing, sk *signingKey) ([]*key, error) {
	verify := []*key{&old.signing.key}
	for _, k := range old.keys {
		switch {
		case k.id != sk.id:
			if k != &old.signing.key {
				verify = append(verify, k)
			}
		case k == &old.signing.key:
			return nil, withDetail(ErrInvalidKey, fmt.Sprintf("the key given to RotateKey has key ID %q, which the current signing key uses: it signs already", sk.id))
		case !sameVerifier(k, &sk.key):
			return nil, withDetail(ErrInvalidKey, fmt.Sprintf("the key given to RotateKey has key ID %q, which a verification key with other key material or another algorithm uses", sk.id))
		}
	}
	return verify, nil
}

// sameVerifier reports whether a and b verify exactly the same tokens,
// HMAC secrets included.
func sameVerifier(a, b *key) bool {
	if a.hmac || b.hmac {
		sa, _ := a.public.([]byte)
		sb, _ := b.public.([]byte)
		return a.hmac && b.hmac && a.id == b.id && a.alg == b.alg && bytes.Equal(sa, sb)
	}
	return sameKey(a, b)
}

// RetireKey removes the verification key with the given ID, one from
// Config.VerifyKeys or one a RotateKey replaced: the tokens it signed fail
// from then on, with ErrUnknownKey (under Config.Flask without
// Config.KeyID, whose tokens name no key, with ErrSignature), those the
// verified cache (Config.VerifiedCacheSize) holds too, and JWKSHandler
// stops publishing it. Resource servers using NewVerifier stop accepting
// them once they fetch the JWK Set again (VerifierConfig.RefreshInterval).
//
// RetireKey refuses the key that signs new tokens (RotateKey to another
// first) and an ID that names no verification key, which may be a typing
// mistake that would leave the key in place: both errors match
// ErrInvalidConfig, and the second lists the IDs there are. KeyIDs gives
// them. It is safe to call while requests run, as RotateKey is.
func (m *Manager) RetireKey(keyID string) error {
	m.keysMu.Lock()
	defer m.keysMu.Unlock()
	old := m.ring.Load()
	if keyID == old.signing.id {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("key %q signs new tokens and cannot be retired: RotateKey to another key first", keyID))
	}
	var verify []*key
	for _, k := range old.verifying() {
		if k.id != keyID {
			verify = append(verify, k)
		}
	}
	if len(verify) == len(old.verifying()) {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("no verification key has ID %q (verification keys: %s)", keyID, keyList(old.verifying())))
	}
	m.ring.Store(m.newKeyRing(old.signing, verify, old))
	return nil
}

// keyList quotes the IDs of keys for an error: "a", "b", or "none".
func keyList(keys []*key) string {
	if len(keys) == 0 {
		return "none"
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = fmt.Sprintf("%q", k.id)
	}
	return strings.Join(ids, ", ")
}

// KeyIDs returns the ID of the key that signs new tokens and those of the
// verification keys, the newest first: the IDs RetireKey takes. The IDs
// are read at one moment; a concurrent RotateKey or RetireKey may change
// them right after.
func (m *Manager) KeyIDs() (signing string, verifying []string) {
	r := m.ring.Load()
	for _, k := range r.verifying() {
		verifying = append(verifying, k.id)
	}
	return r.signing.id, verifying
}
