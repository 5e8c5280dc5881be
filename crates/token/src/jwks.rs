//! Public keys as JWKs (RFC 7517), through `jsonwebtoken::jwk`: the set the service publishes, and the
//! keys a verifier takes from it.

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, OctetKeyPairParameters,
    OctetKeyPairType, PublicKeyUse,
};

/// An Ed25519 signing key as published: `kty`, `crv`, `x`, `kid`, `alg`, `use` and nothing else.
pub fn ed25519_jwk(kid: &str, x: &str) -> Jwk {
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::EdDSA),
            key_id: Some(kid.to_owned()),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: x.to_owned(),
        }),
    }
}

/// The set of `(kid, x)` Ed25519 keys.
pub fn ed25519_set<'a>(keys: impl IntoIterator<Item = (&'a str, &'a str)>) -> JwkSet {
    JwkSet { keys: keys.into_iter().map(|(kid, x)| ed25519_jwk(kid, x)).collect() }
}

/// The Ed25519 signing keys of a JWKS document, by `kid`. Keys of other types, curves or uses, keys
/// without a `kid` and keys that do not parse are left out, so one foreign entry in a shared set does not
/// make the whole set unusable; a body that is not a key set is an error.
pub fn ed25519_keys(body: &str) -> Result<Vec<(String, DecodingKey)>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_str(body)?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter(is_ed25519_signing_key)
        .filter_map(|jwk| {
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some((jwk.common.key_id?, key))
        })
        .collect())
}

fn is_ed25519_signing_key(jwk: &Jwk) -> bool {
    let ed25519 = matches!(&jwk.algorithm, AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519);
    let alg = jwk.common.key_algorithm.is_none_or(|a| a == KeyAlgorithm::EdDSA);
    let use_ = jwk.common.public_key_use.as_ref().is_none_or(|u| *u == PublicKeyUse::Signature);
    ed25519 && alg && use_
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_key_has_exactly_the_six_fields() {
        let json = serde_json::to_value(ed25519_set([("k1", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                "kid": "k1", "alg": "EdDSA", "use": "sig"}]})
        );
    }

    #[test]
    fn only_ed25519_signing_keys_with_a_kid_are_taken() {
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let body = format!(
            r#"{{"keys":[
            {{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"a","alg":"EdDSA","use":"sig"}},
            {{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"b"}},
            {{"kty":"OKP","crv":"Ed25519","x":"{x}"}},
            {{"kty":"OKP","crv":"X25519","x":"{x}","kid":"d"}},
            {{"kty":"RSA","n":"x","e":"AQAB","kid":"e"}},
            {{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"f","use":"enc"}},
            {{"kty":"oct","k":"c2VjcmV0","kid":"g"}},
            {{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"h","alg":"RS256"}},
            {{"what":"ever"}}
        ]}}"#
        );
        let kids: Vec<String> = ed25519_keys(&body).unwrap().into_iter().map(|(kid, _)| kid).collect();
        assert_eq!(kids, ["a", "b"]);
        assert!(ed25519_keys("{}").is_err());
        assert!(ed25519_keys("<html>").is_err());
        assert!(ed25519_keys(r#"{"keys":[]}"#).unwrap().is_empty());
    }
}
