package freshtoken

import (
	"context"
	"fmt"
	"strconv"
)

// This file is how a Verifier trusts several issuing services
// (VerifierConfig.Issuers): each issuer's keys apart, and the choice,
// by a token's "iss", of the only keys that may have signed it.

// TrustedIssuer is one issuing service a Verifier trusts, in
// VerifierConfig.Issuers: its name, and its keys, which verify the tokens
// that name it and no others.
type TrustedIssuer struct {
	// Issuer is the issuer's name, as its tokens' "iss" carries it (its
	// Manager's Config.Issuer): compared exactly, byte for byte. Required;
	// it follows the rule for Config.Issuer's characters, and may name one
	// entry only.
	Issuer string

	// JWKSURL is where the issuer publishes its keys, as
	// VerifierConfig.JWKSURL, whose rules it follows. Zero: VerifyKeys,
	// which must then hold at least one key, are all its keys.
	JWKSURL string

	// VerifyKeys are keys of the issuer given directly, as
	// Config.VerifyKeys; they are consulted before its JWKSURL's set. Their
	// key IDs must differ from each other, but may be those of another
	// issuer's keys. Zero: its JWKSURL's set alone.
	VerifyKeys []any
}

// issuerKeys are the keys of one trusted issuer.
type issuerKeys struct {
	name   string
	ring   *keyRing    // its VerifyKeys; never replaced
	remote *remoteKeys // its JWKSURL's set; nil without one
}

// trustIssuers checks cfg.Issuers and gives v their keys, fetching every
// remote set (unless StartWithoutKeys) before keeping any fresh, so that a
// failure leaves no goroutine behind.
func (v *Verifier) trustIssuers(ctx context.Context, cfg *VerifierConfig) error {
	v.issuers = make(map[string]*issuerKeys, len(cfg.Issuers))
	var remotes []*remoteKeys
	for i := range cfg.Issuers {
		is, err := v.trustIssuer(cfg, i)
		if err != nil {
			return err
		}
		v.issuers[is.name] = is
		if is.remote != nil {
			remotes = append(remotes, is.remote)
		}
	}
	for _, r := range remotes {
		if err := r.open(ctx); err != nil {
			return fmt.Errorf("%w (issuer %s)", err, quoteValue(r.issuer.name))
		}
	}
	for _, r := range remotes {
		r.keep(ctx)
	}
	return nil
}

// trustIssuer checks cfg.Issuers[i] and prepares its keys; nothing is
// fetched yet.
func (v *Verifier) trustIssuer(cfg *VerifierConfig, i int) (*issuerKeys, error) {
	ti := &cfg.Issuers[i]
	field := "VerifierConfig.Issuers[" + strconv.Itoa(i) + "]"
	switch {
	case ti.Issuer == "":
		return nil, withDetail(ErrInvalidConfig, field+".Issuer is empty: every trusted issuer needs the name its tokens' \"iss\" carries")
	case v.issuers[ti.Issuer] != nil:
		return nil, withDetail(ErrInvalidConfig, fmt.Sprintf("%s.Issuer %q is named twice: an issuer's keys must be given in one entry", field, ti.Issuer))
	case ti.JWKSURL == "" && len(ti.VerifyKeys) == 0:
		return nil, withDetail(ErrInvalidConfig, field+" has no keys: give a JWKSURL, VerifyKeys or both")
	case ti.JWKSURL != "" && !v.schema.namesKey:
		return nil, withDetail(ErrInvalidConfig, field+": tokens in this format name no key, so a JWK Set cannot find theirs: give the issuer's public key in VerifyKeys instead of a JWKSURL")
	}
	if err := plainText(field+".Issuer", ti.Issuer); err != nil {
		return nil, err
	}
	is := &issuerKeys{name: ti.Issuer}
	var keys []*key
	for j, vk := range ti.VerifyKeys {
		kf := field + ".VerifyKeys[" + strconv.Itoa(j) + "]"
		k, err := prepareVerifyKey(vk, kf)
		if err != nil {
			return nil, err
		}
		for _, have := range keys {
			if have.id == k.id {
				return nil, withDetail(ErrInvalidKey, fmt.Sprintf("%s has key ID %q, which another key of the issuer already uses", kf, k.id))
			}
		}
		k.issuer = is
		keys = append(keys, k)
	}
	is.ring = v.newKeyRing(nil, keys, nil)
	if ti.JWKSURL != "" {
		r, err := newRemoteKeys(cfg, ti.JWKSURL, is)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, field)
		}
		is.remote = r
	}
	return is, nil
}

// pickIssuer returns the keys of the issuer that payload, the decoded
// claims of a token whose signature is not checked yet, names in "iss".
// Only that issuer's keys are then tried: whoever wrote the payload may
// choose the issuer, but not make another issuer's key verify it. The claims
// reader reads "iss" as pickIssuer does, and prove checks that it did.
func (v *Verifier) pickIssuer(payload []byte) (*issuerKeys, error) {
	var o object[string]
	if err := o.open(string(payload)); err != nil {
		return nil, err
	}
	for {
		name, value, ok, err := o.next()
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return nil, withDetail(ErrInvalidClaims, `"iss" is missing: a verifier trusting several issuers (VerifierConfig.Issuers) needs it to choose their keys`)
		case name != "iss":
			continue
		}
		iss, ok := jsonString(value)
		if !ok {
			return nil, withDetail(ErrInvalidClaims, `claim "iss" is `+rawValue(value)+", want the name of a trusted issuer (VerifierConfig.Issuers)")
		}
		if is := v.issuers[iss]; is != nil {
			return is, nil
		}
		return nil, withDetail(ErrInvalidClaims, `"iss" `+quoteValue(iss)+" is not a trusted issuer (VerifierConfig.Issuers)")
	}
}
