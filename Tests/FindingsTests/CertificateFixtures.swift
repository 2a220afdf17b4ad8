import Foundation

// DER certificates for CertificateFacts and the assessor, generated once with
// OpenSSL 3.0.19 (27 Jan 2026) in an empty directory and stored here base64-encoded
// (`openssl x509 -in NAME.pem -outform DER | base64 -w 76`). Dates are fixed with
// `openssl ca -startdate/-enddate`, so nothing here depends on when it was made.
//
// The `openssl ca` configuration, saved as ca.cnf:
//

//     # Minimal `openssl ca` configuration: fixed dates via -startdate/-enddate.
//     [ ca ]
//     default_ca = CA_default
//     [ CA_default ]
//     dir = .
//     database = ./index.txt
//     new_certs_dir = ./newcerts
//     serial = ./serial
//     policy = policy_any
//     default_md = sha256
//     unique_subject = no
//     copy_extensions = none
//     email_in_dn = no
//     [ policy_any ]
//     countryName = optional
//     organizationName = optional
//     commonName = supplied
//     [ req ]
//     distinguished_name = dn
//     prompt = no
//     [ dn ]
//     CN = unused
//     [ v3_self_san ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:plainsight.test, DNS:www.plainsight.test, DNS:*.api.plainsight.test
//     [ v3_none ]
//     basicConstraints = critical, CA:FALSE
//     [ v3_ec256 ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:ec256.plainsight.test
//     [ v3_ec384 ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:ec384.plainsight.test
//     [ v3_dsa ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:dsa.plainsight.test
//     [ v3_ed ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:ed25519.plainsight.test
//     [ v3_md5 ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:md5.plainsight.test
//     [ v3_expired ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:expired.plainsight.test
//     [ v3_ca ]
//     basicConstraints = critical, CA:TRUE
//     keyUsage = critical, keyCertSign, cRLSign
//     [ v3_leaf ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:leaf.plainsight.test
//     [ v3_long ]
//     basicConstraints = critical, CA:FALSE
//     subjectAltName = DNS:long.plainsight.test
//
// Commands (bash, in that directory):
//
//     mkdir newcerts; : > index.txt; echo 1001 > serial
//     openssl genrsa -out rsa2048.key 2048
//     openssl genrsa -out rsa1024.key 1024
//     openssl ecparam -name prime256v1 -genkey -noout -out ec256.key
//     openssl ecparam -name secp384r1 -genkey -noout -out ec384.key
//     openssl dsaparam -out dsaparam.pem 1024
//     openssl gendsa -out dsa1024.key dsaparam.pem
//     openssl genpkey -algorithm ed25519 -out ed25519.key
//     openssl genrsa -out md5.key 2048
//     openssl genrsa -out expired.key 2048
//     openssl genrsa -out ca.key 2048
//     openssl ecparam -name prime256v1 -genkey -noout -out leaf.key
//     openssl ecparam -name prime256v1 -genkey -noout -out long.key
//     openssl genrsa -out otherca.key 2048
//     # sign NAME KEY SUBJECT EXTENSIONS DIGEST START END [ISSUER]
//     sign() {
//       openssl req -new -config ca.cnf -key $2 -subj "$3" -out $1.csr
//       if [ -z "${8:-}" ]; then signer=(-selfsign -keyfile $2); else signer=(-cert $8.pem -keyfile $8.key); fi
//       openssl ca -config ca.cnf -batch -notext -preserveDN "${signer[@]}" -in $1.csr -out $1.pem \
//         -extensions $4 -md $5 -startdate $6 -enddate $7
//       openssl x509 -in $1.pem -outform DER -out $1.der
//     }
//     sign rsa2048 rsa2048.key "/C=US/O=PlainSight Test/CN=plainsight.test" v3_self_san sha256 20240101000000Z 20250101000000Z
//     sign rsa1024sha1 rsa1024.key "/O=PlainSight Legacy/CN=legacy.plainsight.test" v3_none sha1 20190101000000Z 20240101000000Z
//     sign ec256 ec256.key "/CN=ec256.plainsight.test" v3_ec256 sha256 20240601120000Z 20250601120000Z
//     sign ec384 ec384.key "/CN=ec384.plainsight.test" v3_ec384 sha384 20240601120000Z 20250601120000Z
//     sign dsa1024 dsa1024.key "/CN=dsa.plainsight.test" v3_dsa sha256 20240101000000Z 20250101000000Z
//     sign ed25519 ed25519.key "/CN=ed25519.plainsight.test" v3_ed default 20240101000000Z 20250101000000Z
//     sign md5 md5.key "/CN=md5.plainsight.test" v3_md5 md5 20240101000000Z 20250101000000Z
//     sign expired expired.key "/CN=expired.plainsight.test" v3_expired sha256 20150101000000Z 20160101000000Z
//     sign ca ca.key "/C=US/O=PlainSight Test/CN=PlainSight Test Root CA" v3_ca sha1 20200101000000Z 20400101000000Z
//     sign leaf leaf.key "/O=PlainSight Test/CN=leaf.plainsight.test" v3_leaf sha256 20240101000000Z 20241231000000Z ca
//     sign long long.key "/CN=long.plainsight.test" v3_long sha256 20210101000000Z 20240101000000Z ca
//     sign otherca otherca.key "/CN=PlainSight Other CA" v3_ca sha256 20200101000000Z 20400101000000Z
//
// (OpenSSL signed md5WithRSAEncryption with `openssl ca -md md5` without lowering
// SECLEVEL: the security level applies to TLS, not to `openssl ca`.) Checks made
// with OpenSSL: `openssl verify -attime 1717243200 -CAfile ca.pem leaf.pem` and
// `openssl verify -attime 1609545600 -CAfile ca.pem long.pem` print OK;
// `openssl verify -CAfile otherca.pem leaf.pem` fails (unable to get local issuer).
//
// What `openssl x509 -noout -subject -issuer -dates -nameopt RFC2253` and
// `openssl x509 -noout -text` print for each is noted above its constant, with
// `openssl dgst -sha256` of the DER.


/// rsa2048.der (889 bytes)
///     subject=CN=plainsight.test,O=PlainSight Test,C=US
///     issuer=CN=plainsight.test,O=PlainSight Test,C=US
///     notBefore=Jan  1 00:00:00 2024 GMT
///     notAfter=Jan  1 00:00:00 2025 GMT
///     Signature Algorithm: sha256WithRSAEncryption
///     Public Key Algorithm: rsaEncryption
///     Public-Key: (2048 bit)
///     DNS:plainsight.test, DNS:www.plainsight.test, DNS:*.api.plainsight.test
///     sha256 9f66dec8282f1a84f127a6540e47e611ca271674dd31fa5a62313c5fab88b6de
let rsa2048SelfSignedBase64 = """
MIIDdTCCAl2gAwIBAgICEAEwDQYJKoZIhvcNAQELBQAwQTELMAkGA1UEBhMCVVMxGDAWBgNVBAoM
D1BsYWluU2lnaHQgVGVzdDEYMBYGA1UEAwwPcGxhaW5zaWdodC50ZXN0MB4XDTI0MDEwMTAwMDAw
MFoXDTI1MDEwMTAwMDAwMFowQTELMAkGA1UEBhMCVVMxGDAWBgNVBAoMD1BsYWluU2lnaHQgVGVz
dDEYMBYGA1UEAwwPcGxhaW5zaWdodC50ZXN0MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKC
AQEAxCI9rEJ0d1PbOGjvl4nu1O+8TejLKRvRV8o0Twv5bM8phmcwfbaV8YlBjgGc4DHw/MsdYj55
DqG0XiTuruX51nCIpi7yD59UtLMiVSKVuH8EYsLDjl/jsrxrq/O9tgLrU46v1wGO3783e1f5+e09
cvhQ1oFapGnmThCwiRO8WraLrd51ql+tVOqKlD6ODvg1LMD3uwe3dHmW6B/k9P/B6ClWRGyYOAGx
ApsQG+r20tVXeZAyZZx8x9IlkkzkpPHRW1CSOe7P2DJeuwb3g9y8rj2yY/soPLewrPHciti9gxdS
rziDMMqQCw70UZQpLp9NZrtOS41YAaiMpsXgfwzHPwIDAQABo3cwdTAMBgNVHRMBAf8EAjAAMEYG
A1UdEQQ/MD2CD3BsYWluc2lnaHQudGVzdIITd3d3LnBsYWluc2lnaHQudGVzdIIVKi5hcGkucGxh
aW5zaWdodC50ZXN0MB0GA1UdDgQWBBSxJvTqf87J72KH9O1ZbRjH6aRVJDANBgkqhkiG9w0BAQsF
AAOCAQEAO4WO6zxrTU1Zzn3s1QLsKQE/+c+RalF5VJl/60nhfxMcdVt0dHFU/iXQf+R2ie/nzog3
X2n4rEaHTF8MK782ApqGSDhI7uDaOINAM5gd7MwmpCDxngWppnYUWIlH3L2FV5fjKvQahJtu/cPB
9IdJBkOgGw0XThNHMHFG3Gu9fJfU7L1bPEwfLcI26ow3HjStTn6n+9Vml3DzyPbBUxYNfxtpR10v
WrkaCUCpSKTovKt/ISNY9Mq5dzUbOI3MmUqhBhMAwxt1e8wAHS457H/jrkiCfje2jkBddjUdYsjr
tgMxDlY7Hu85GkAF6FgbPG5QHyk1nOP3Fg5OjPEFm6Qpeg==
"""

/// rsa1024sha1.der (548 bytes)
///     subject=CN=legacy.plainsight.test,O=PlainSight Legacy
///     issuer=CN=legacy.plainsight.test,O=PlainSight Legacy
///     notBefore=Jan  1 00:00:00 2019 GMT
///     notAfter=Jan  1 00:00:00 2024 GMT
///     Signature Algorithm: sha1WithRSAEncryption
///     Public Key Algorithm: rsaEncryption
///     Public-Key: (1024 bit)
///     sha256 83b13b74a8a804423c20a93d8da0f3dbd37e1983b820c9181ed5da9191758426
let rsa1024SHA1Base64 = """
MIICIDCCAYmgAwIBAgICEAIwDQYJKoZIhvcNAQEFBQAwPTEaMBgGA1UECgwRUGxhaW5TaWdodCBM
ZWdhY3kxHzAdBgNVBAMMFmxlZ2FjeS5wbGFpbnNpZ2h0LnRlc3QwHhcNMTkwMTAxMDAwMDAwWhcN
MjQwMTAxMDAwMDAwWjA9MRowGAYDVQQKDBFQbGFpblNpZ2h0IExlZ2FjeTEfMB0GA1UEAwwWbGVn
YWN5LnBsYWluc2lnaHQudGVzdDCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEA5DHM8eEL3g1V
pp+/DNWKYsV6MFNkTKdAFLewWiCxEZWqDqTj5NQ+3AtVeUG18tO3bk336x3X/TBO3fxHcU1eVFeN
CZHcbamL/4BCoGv/2isZvnLku0fhk7Z36sjBtE04IdgskJ9OLi4dZzCaXAuqRqkI/UwsMe99i2JN
YnJ1590CAwEAAaMvMC0wDAYDVR0TAQH/BAIwADAdBgNVHQ4EFgQU0DllXU0JLNhqMocDwbawVp1a
lMowDQYJKoZIhvcNAQEFBQADgYEAlD66BwMhdk6GTI9XL67TYVGGR1NXx5nL+ooK22uAOio4a9V3
G/9kxYg/ZCCn7HQwWc7eKWdqqjelpfeK4WcztLttidvgLXLf5je+5Qv4IEl9e3GTd+NS27zu5acL
AVdiZ6kM398qyrjMnA9mE2NUm7sA0ooOiDcmiOydfHDSskk=
"""

/// ec256.der (389 bytes)
///     subject=CN=ec256.plainsight.test
///     issuer=CN=ec256.plainsight.test
///     notBefore=Jun  1 12:00:00 2024 GMT
///     notAfter=Jun  1 12:00:00 2025 GMT
///     Signature Algorithm: ecdsa-with-SHA256
///     Public Key Algorithm: id-ecPublicKey
///     Public-Key: (256 bit)
///     NIST CURVE: P-256
///     DNS:ec256.plainsight.test
///     sha256 95ee3745a93560611d387862baab01a1caa911f98b7f36fd0131db8938224c6e
let ecP256Base64 = """
MIIBgTCCASegAwIBAgICEAMwCgYIKoZIzj0EAwIwIDEeMBwGA1UEAwwVZWMyNTYucGxhaW5zaWdo
dC50ZXN0MB4XDTI0MDYwMTEyMDAwMFoXDTI1MDYwMTEyMDAwMFowIDEeMBwGA1UEAwwVZWMyNTYu
cGxhaW5zaWdodC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAErd0k2EPWW4FysCdbgX9Z
9Au0m/9mj+xHIlZvNo94upsznWOD2uD5rUjHeGKT3btcRwvvGMZa2XYvPk4BqJ48jKNRME8wDAYD
VR0TAQH/BAIwADAgBgNVHREEGTAXghVlYzI1Ni5wbGFpbnNpZ2h0LnRlc3QwHQYDVR0OBBYEFDFe
eCRYKCtVShMTB+ncfUe416bHMAoGCCqGSM49BAMCA0gAMEUCIDhogPMoePPsGThtvvYw0fUEObTl
LoydvQY3DryVfbwzAiEAguY/ab4gOgt+bKU30RGlXADZDQFkPlggNR6mqnF81CI=
"""

/// ec384.der (451 bytes)
///     subject=CN=ec384.plainsight.test
///     issuer=CN=ec384.plainsight.test
///     notBefore=Jun  1 12:00:00 2024 GMT
///     notAfter=Jun  1 12:00:00 2025 GMT
///     Signature Algorithm: ecdsa-with-SHA384
///     Public Key Algorithm: id-ecPublicKey
///     Public-Key: (384 bit)
///     NIST CURVE: P-384
///     DNS:ec384.plainsight.test
///     sha256 245c8a91de07e9b32dffccbb22f0a9d3a67880da8f4d30e48674b76ce6687f2c
let ecP384Base64 = """
MIIBvzCCAUSgAwIBAgICEAQwCgYIKoZIzj0EAwMwIDEeMBwGA1UEAwwVZWMzODQucGxhaW5zaWdo
dC50ZXN0MB4XDTI0MDYwMTEyMDAwMFoXDTI1MDYwMTEyMDAwMFowIDEeMBwGA1UEAwwVZWMzODQu
cGxhaW5zaWdodC50ZXN0MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEpgV/XcTFVSubBgS0JJwWNVsK
eMH40scwGuzbr34t+NJjhGlHF54WyWgqXbyUyw/Lb6sqZi4JxRqkFeQOxfjg+PmR/xFyQhZORs7R
EKsJvgvaFaTcZ9hiq1dA96G5vclmo1EwTzAMBgNVHRMBAf8EAjAAMCAGA1UdEQQZMBeCFWVjMzg0
LnBsYWluc2lnaHQudGVzdDAdBgNVHQ4EFgQUoy5Y7co24+YJoox+B5kVjlsm9DYwCgYIKoZIzj0E
AwMDaQAwZgIxAIM3W8N9QGS+wMAzpK4ZwksABV3BR83e8HFtXCr2xIeZCJGYOFlFYzW5VolIewjH
egIxAMsZ804EQBSk6tTtnlNS51/XUuzWGYPgheWfaGM+eU5lusfl6MWcmL4MKqS9Ln4mwg==
"""

/// dsa1024.der (735 bytes)
///     subject=CN=dsa.plainsight.test
///     issuer=CN=dsa.plainsight.test
///     notBefore=Jan  1 00:00:00 2024 GMT
///     notAfter=Jan  1 00:00:00 2025 GMT
///     Signature Algorithm: dsa_with_SHA256
///     Public Key Algorithm: dsaEncryption
///     Public-Key: (1024 bit)
///     DNS:dsa.plainsight.test
///     sha256 cc4b5fbd85c161d619afbdf4756f9890bef49702dbb28c9b7de67ebe303764c4
let dsa1024Base64 = """
MIIC2zCCAomgAwIBAgICEAUwCwYJYIZIAWUDBAMCMB4xHDAaBgNVBAMME2RzYS5wbGFpbnNpZ2h0
LnRlc3QwHhcNMjQwMTAxMDAwMDAwWhcNMjUwMTAxMDAwMDAwWjAeMRwwGgYDVQQDDBNkc2EucGxh
aW5zaWdodC50ZXN0MIIBvjCCATMGByqGSM44BAEwggEmAoGBAIUVaAcpvLkGeWwegXbGng53+ze0
ScsUPrGTmzrLU+vfj+dNGxzOw7vsTf+UoPcsX2Zo5bX40yL4uCoM4xb3wknk+3TM3lxZf9MFpmv9
IhBleE06mu47Ax4lcFJkb8ryRH6mofJK6Vg7hS2iOpk2bVf+ePHfQljMRCwA270SDRIlAh0AjmT5
xp1Hjz4X82txfZM2xwPyOvK/ATl3RjMNnQKBgEEpeki95zxHeNmu1gx81E5iCgnBCAfRhYiIUdEx
I0wYFJGDybY2BpKHcm6bUyojULJST7IiIDj2nW48Z6u2qhBwZYdPVhwuJZ9Epe++YlQNZz6vx7bp
aKsBUJtSbs6fOwG1kC5PFTWCSxt5wJG67+xrl7mny8kCT2kawim8rOPlA4GEAAKBgFI2/x6Aq+K4
1PqvC8G8Y64mRpY+e/aNyOG/zDPYRl4fbboKcev6psMo1M6h16Pqkq3tnZgKy8p0+ZhKirPfKluR
52xW95hYEhXKa6S6obx20Jce4TPN/aCMhQaqLoQph5Y9bG3a2PJEOtlNgTNQhMFPQSQYm01w9pS5
Xl7ai9lJo08wTTAMBgNVHRMBAf8EAjAAMB4GA1UdEQQXMBWCE2RzYS5wbGFpbnNpZ2h0LnRlc3Qw
HQYDVR0OBBYEFEawqRmE1/CJI2w0dz2ZEiTmFfDPMAsGCWCGSAFlAwQDAgM/ADA8AhxycwW99iFS
MkCCrpNNKEf2lXU9yX9FKEqv5yjSAhwx1GgEI6lrrk0S+xDZQtN/JytDur2rWcVYWXBs
"""

/// ed25519.der (330 bytes)
///     subject=CN=ed25519.plainsight.test
///     issuer=CN=ed25519.plainsight.test
///     notBefore=Jan  1 00:00:00 2024 GMT
///     notAfter=Jan  1 00:00:00 2025 GMT
///     Signature Algorithm: ED25519
///     Public Key Algorithm: ED25519
///     ED25519 Public-Key:
///     DNS:ed25519.plainsight.test
///     sha256 d27225d4c68bc2b64657d1ca54d339cb36452c21863f178390d71c79d02ab020
let ed25519Base64 = """
MIIBRjCB+aADAgECAgIQBjAFBgMrZXAwIjEgMB4GA1UEAwwXZWQyNTUxOS5wbGFpbnNpZ2h0LnRl
c3QwHhcNMjQwMTAxMDAwMDAwWhcNMjUwMTAxMDAwMDAwWjAiMSAwHgYDVQQDDBdlZDI1NTE5LnBs
YWluc2lnaHQudGVzdDAqMAUGAytlcAMhAJCFlU5cY+1nwLIwVOsR5jLcA/yhREFUDiBWaWCpcA5u
o1MwUTAMBgNVHRMBAf8EAjAAMCIGA1UdEQQbMBmCF2VkMjU1MTkucGxhaW5zaWdodC50ZXN0MB0G
A1UdDgQWBBQW60IHycN+dFd8PNFxemGOZD60QTAFBgMrZXADQQA1N+A79hcioeP8bMsg/+lrNgZ9
Y1E+G9nOQgoKonIqfAq2K+WQr+PWJL4qM9WoSOm1XzxwYR4BILQ7eoLwsI8M
"""

/// md5.der (779 bytes)
///     subject=CN=md5.plainsight.test
///     issuer=CN=md5.plainsight.test
///     notBefore=Jan  1 00:00:00 2024 GMT
///     notAfter=Jan  1 00:00:00 2025 GMT
///     Signature Algorithm: md5WithRSAEncryption
///     Public Key Algorithm: rsaEncryption
///     Public-Key: (2048 bit)
///     DNS:md5.plainsight.test
///     sha256 8ff7d421ac060ecb659766feef4e106fa5f3f6befdce62a6e8e5420c2ca9212c
let md5RSABase64 = """
MIIDBzCCAe+gAwIBAgICEAcwDQYJKoZIhvcNAQEEBQAwHjEcMBoGA1UEAwwTbWQ1LnBsYWluc2ln
aHQudGVzdDAeFw0yNDAxMDEwMDAwMDBaFw0yNTAxMDEwMDAwMDBaMB4xHDAaBgNVBAMME21kNS5w
bGFpbnNpZ2h0LnRlc3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCyZmalw7lNFjUj
twMFuNyB0lMYArMUnhv1V/gmRdzQCqjoUeolt9QIiu9ASvngqgHnfACb/KyeukI5WyppjD3DS76P
VD0fZr3gILFF8dCEto0/ku31H/qe2M8nfVDBAOb72qc4lx+d87hc1pUGCEIIXZB3VD7329lTUO9T
Zlq2ikT8pRAdRTayUhpDqTb9FnJpj+Jl4IB+1hAIGHD6ziYa1ec2M+lcx+6NJMRVsZVU985n/DER
rfdhcgy4jAAxg1nL16GD7zOHG5C6p/Mca9DtJLoUvrVOwhCszNy3tTAbodARlA1iv/6i8JwdTcXb
pjViXjI5nOKZ2eItQm1scl1RAgMBAAGjTzBNMAwGA1UdEwEB/wQCMAAwHgYDVR0RBBcwFYITbWQ1
LnBsYWluc2lnaHQudGVzdDAdBgNVHQ4EFgQUNJmo49DpXwkJqfe6fo794SFxu7YwDQYJKoZIhvcN
AQEEBQADggEBABIXZxpcsMe8kLV6MxGJGYbK69s2kuoucKnajaWmF9rXAtSDdEfl2WgeJU+dlI0X
mLX5CPodDUoh7j1Hj8WaDCNd5AZS6XI3+Wq++Y2gckLaHk9CWTgK8tuWQpIln1oaiOVeVI+AqqeK
At4eZuw6mY1Jk/M3N2lgtd+yitAnX5lJvG6hJm+pZAMMZPShuysGBK39InFxE2h9pbE/a4nj/gbi
n/uZ9m/o2N4G9Pbsz/eRmuIMeWF+OGRx4DtrnXa7p+w1O0DAos9g8pIzJymgZg5yQ41ayOfOSDze
M+QkX75YjPSK7zQP9YqURFbkHqQDdZuZwLZJpsvbpQRo40LOTiI=
"""

/// expired.der (791 bytes)
///     subject=CN=expired.plainsight.test
///     issuer=CN=expired.plainsight.test
///     notBefore=Jan  1 00:00:00 2015 GMT
///     notAfter=Jan  1 00:00:00 2016 GMT
///     Signature Algorithm: sha256WithRSAEncryption
///     Public Key Algorithm: rsaEncryption
///     Public-Key: (2048 bit)
///     DNS:expired.plainsight.test
///     sha256 baea46bb7925de0ad1d11f37e22428d047f941145843f8f4448a414cd09a5b97
let expiredBase64 = """
MIIDEzCCAfugAwIBAgICEAgwDQYJKoZIhvcNAQELBQAwIjEgMB4GA1UEAwwXZXhwaXJlZC5wbGFp
bnNpZ2h0LnRlc3QwHhcNMTUwMTAxMDAwMDAwWhcNMTYwMTAxMDAwMDAwWjAiMSAwHgYDVQQDDBdl
eHBpcmVkLnBsYWluc2lnaHQudGVzdDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKQ9
80+p2SaceF4rVp5RR/daStHfej7H88YhNVY8D4dn+eej+f+XA/UR3kdtPitHpA2J2s8dGK5yQKVL
5mG40KlVjL567fNrnPkg/iE3NpBKuJ3aNQjjTMUo6qZvgSyOTfeObz6JozLh3flDXxAacoo45iBb
8KlEIynoAgB7xxEpvJBN2u+6B4sWghyrfLsK+fKoStMK/VIKzutTNonNpEyqwnvPoR2B0NjNQG9Q
6RHOXB5EI12s6+7H0yJ68bFynhv9qmCErwjqoWDJsfpbqzafRL5ZNsJ8GB0uZiOyQb59aFGP9Nhn
WZCNyMY7qcENO+pl2Qui5GCdRmfL/Z9vvVsCAwEAAaNTMFEwDAYDVR0TAQH/BAIwADAiBgNVHREE
GzAZghdleHBpcmVkLnBsYWluc2lnaHQudGVzdDAdBgNVHQ4EFgQUi/N73jaEqbdV/V8L/Yoh6yvq
SmowDQYJKoZIhvcNAQELBQADggEBAC6Tbl1RQJvPqqz/pVe/kiCAAUoNZ6FAvNr4aM/5/psJmosR
96P5pvZtugSDbhKtivHkrYCM/qtqGiWBRCSYAO0896KemRrCiwCO//I32utXNUidpuc5VQHi7zyf
GPkCi5uT77RySL38jsqR5Iv3jC7rjy6eEjKiapi7CmMAi0ZI2Ctj/DIqI/YzaG+0SmWsL3YMXYR0
ljCumHb+85dW6yXgowm9YO6PzxEQtA6wW1OKWt7Sj4/IcJ3C0PUMcSKiq84yObaPqC0cMkqCyCDS
uVBvwrj8/9ZRRfwSoVLZeFl8BuKEzlHhdQn4jypgVkHOZ5P+aGWeKNEpu9+NA5DWYKA=
"""

/// ca.der (852 bytes)
///     subject=CN=PlainSight Test Root CA,O=PlainSight Test,C=US
///     issuer=CN=PlainSight Test Root CA,O=PlainSight Test,C=US
///     notBefore=Jan  1 00:00:00 2020 GMT
///     notAfter=Jan  1 00:00:00 2040 GMT
///     Signature Algorithm: sha1WithRSAEncryption
///     Public Key Algorithm: rsaEncryption
///     Public-Key: (2048 bit)
///     sha256 5e5a6475b38f2f9ec5fd43178151c866277ec9172dcebda4c9cb22793ea1aa8a
let rootCABase64 = """
MIIDUDCCAjigAwIBAgICEAkwDQYJKoZIhvcNAQEFBQAwSTELMAkGA1UEBhMCVVMxGDAWBgNVBAoM
D1BsYWluU2lnaHQgVGVzdDEgMB4GA1UEAwwXUGxhaW5TaWdodCBUZXN0IFJvb3QgQ0EwHhcNMjAw
MTAxMDAwMDAwWhcNNDAwMTAxMDAwMDAwWjBJMQswCQYDVQQGEwJVUzEYMBYGA1UECgwPUGxhaW5T
aWdodCBUZXN0MSAwHgYDVQQDDBdQbGFpblNpZ2h0IFRlc3QgUm9vdCBDQTCCASIwDQYJKoZIhvcN
AQEBBQADggEPADCCAQoCggEBALQCel066jh/tyq/QRjBfSGgL7bduHcUhsTsCedE8f5UBvaxbOyU
UvVxWoGBN6m8zs3jf6mACT5+XKpQqCSnlSCfk+UJNXSX8XWd5Gr8dZUM/mkWokgwPY1+2yrHUteK
cq6ppT4h1cpLhyJ5v66+JtTyNGLw76UQX2TcehYu7rnjmbkTC1MP+ASi9Xc4kX4Wc5ZOQopgU6SN
Du1UPI48TGkukDUBBfOPwUixrhzjF4S+2a56rLBW4cqiucmCkY4U1FulPFbRRfjEAMIYMVxhuNqd
vBptQ2V3TlL0Sv3OhZIwqz515QKQ8KKOrdaCx/O8n9V9KSiE4MkN4ixR9wvH4isCAwEAAaNCMEAw
DwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFCO+pPjCLfPaQpUQOZCG
PuiIZp0lMA0GCSqGSIb3DQEBBQUAA4IBAQA4PrOSmZXYp14WXytZmZstnm5HLG//8DkcsbHtX/Og
O9qKXtwn3dgU0BgQe5EECP5u1Gm55BqJ4NLe+FtIM9vPzOfeda42o38kX1IvjjJ8X/DFBVrRoMbM
hcG73XzohOvz8twYh6cdAMEKkzovq/cT0zA6FYIehuNVH/Ow4rPOFFmuh+fiE8rIYw6Pf8sVKaLi
sT/K3S+oNUrDzS+NQndUjv4iB2G1BvDxvg1eRQJX8f0CQrfQZaAnDIVIl4PiRkbleJ9CldcYDFuS
C/gJ2U9G+fLqpPvLTT0X+WAmzDrZZptIkD45FPUaB3zvK0MCqsSWdBWRjzfPQLCfqCGcdNTO
"""

/// leaf.der (680 bytes)
///     subject=CN=leaf.plainsight.test,O=PlainSight Test
///     issuer=CN=PlainSight Test Root CA,O=PlainSight Test,C=US
///     notBefore=Jan  1 00:00:00 2024 GMT
///     notAfter=Dec 31 00:00:00 2024 GMT
///     Signature Algorithm: sha256WithRSAEncryption
///     Public Key Algorithm: id-ecPublicKey
///     Public-Key: (256 bit)
///     NIST CURVE: P-256
///     DNS:leaf.plainsight.test
///     sha256 0b9772ee85637c3a28a094d780eed4d5ea66ab4f69167d24c361858ba1046e5a
let leafBase64 = """
MIICpDCCAYygAwIBAgICEAowDQYJKoZIhvcNAQELBQAwSTELMAkGA1UEBhMCVVMxGDAWBgNVBAoM
D1BsYWluU2lnaHQgVGVzdDEgMB4GA1UEAwwXUGxhaW5TaWdodCBUZXN0IFJvb3QgQ0EwHhcNMjQw
MTAxMDAwMDAwWhcNMjQxMjMxMDAwMDAwWjA5MRgwFgYDVQQKDA9QbGFpblNpZ2h0IFRlc3QxHTAb
BgNVBAMMFGxlYWYucGxhaW5zaWdodC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEo49T
4uwBcTa/2s8b1DUzNBKGfioKABKH+TfyYOozNfyEtVqKJ6UulMYUeKOyO6qBX+jFvZZSb5gDhPoh
odcOf6NxMG8wDAYDVR0TAQH/BAIwADAfBgNVHREEGDAWghRsZWFmLnBsYWluc2lnaHQudGVzdDAd
BgNVHQ4EFgQUEUf/3qeVP9pHjxhC1AOU+fMynZUwHwYDVR0jBBgwFoAUI76k+MIt89pClRA5kIY+
6IhmnSUwDQYJKoZIhvcNAQELBQADggEBAHK4HOTWHdgx5nH6e7+hgLVeBn1XRjJfppn/gB4Qnx/L
29CJyGfO4iSDzTjci1U2zKbvV9uNaIwR5M2qGFcItjtKPUsnDH36ut2denB4fjxKSzg9a3A/BnY6
TjkAJifpzepm1PConJqla+Z7bIyPmUmnwm5a6e6urA6buvzAFSe78A3WGxfj2RenOGwGSqQbi5uX
HZS23tpiAwfE/oEKRP35OSWknH9oezxwllBSs0Qh6JaChW+OHlrgSoctuhkq1OimfeOum7UJcoOO
3MUspYgBemf7xz/O1V2uNy7fahNJiSZvSs98E52GDF4XpRzmaOKC8UOsuJKPI3YRPrKKR2c=
"""

/// long.der (654 bytes)
///     subject=CN=long.plainsight.test
///     issuer=CN=PlainSight Test Root CA,O=PlainSight Test,C=US
///     notBefore=Jan  1 00:00:00 2021 GMT
///     notAfter=Jan  1 00:00:00 2024 GMT
///     Signature Algorithm: sha256WithRSAEncryption
///     Public Key Algorithm: id-ecPublicKey
///     Public-Key: (256 bit)
///     NIST CURVE: P-256
///     DNS:long.plainsight.test
///     sha256 9b3c5d7bcace83ffde07a23d5060c1a0af963c327fe92c29ff9a68d64b45ade9
let longLeafBase64 = """
MIICijCCAXKgAwIBAgICEAswDQYJKoZIhvcNAQELBQAwSTELMAkGA1UEBhMCVVMxGDAWBgNVBAoM
D1BsYWluU2lnaHQgVGVzdDEgMB4GA1UEAwwXUGxhaW5TaWdodCBUZXN0IFJvb3QgQ0EwHhcNMjEw
MTAxMDAwMDAwWhcNMjQwMTAxMDAwMDAwWjAfMR0wGwYDVQQDDBRsb25nLnBsYWluc2lnaHQudGVz
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABM2Dhk5hoGgwxF8C1vf3xf6LJmdW+bqik/OElgOw
uO8DDSif+T4YlGBvKJTDkwAGQJFXMiTeAxc3D1xlMERCNtCjcTBvMAwGA1UdEwEB/wQCMAAwHwYD
VR0RBBgwFoIUbG9uZy5wbGFpbnNpZ2h0LnRlc3QwHQYDVR0OBBYEFF1Optt4bTZZFZFTYY5NOX+a
8N3bMB8GA1UdIwQYMBaAFCO+pPjCLfPaQpUQOZCGPuiIZp0lMA0GCSqGSIb3DQEBCwUAA4IBAQCE
FhJ9caolrazhYD5WkGYtsg6DwqUQ12TH358ijqMhDoNMY8qbUP0Dpv83DgTbP+sBxMx0tilojtef
HJOt9i4RiJhi3hgyji2mA3vZ6vSjqReHmnq7VEfGHGxFFMoLCso3i1ODHJ0NGleb5hjkx2OUKPb2
+qW2yMRW7TEog2hAG0Tfmw5B/xUYC1Q2/J7xLsNhTvrx6O6OZgFhU8l7idMHkYIsEuf2vlH27Isk
hHMmj2p1vwmbo63M6yULrJ4jU2RrWLirPcN27yNXIBOD2yMUkQ4MfSmc5eOh0KDTFMUWbzHB4ndN
JQ5ev17TpWTuJ13yimzsJKAePPdqxyG7kSGU
"""

/// otherca.der (766 bytes)
///     subject=CN=PlainSight Other CA
///     issuer=CN=PlainSight Other CA
///     notBefore=Jan  1 00:00:00 2020 GMT
///     notAfter=Jan  1 00:00:00 2040 GMT
///     Signature Algorithm: sha256WithRSAEncryption
///     Public Key Algorithm: rsaEncryption
///     Public-Key: (2048 bit)
///     sha256 126b05353bfa14130606e01ab8c8d0094813d82b2dc7d207e7f4c5de8c312944
let otherCABase64 = """
MIIC+jCCAeKgAwIBAgICEAwwDQYJKoZIhvcNAQELBQAwHjEcMBoGA1UEAwwTUGxhaW5TaWdodCBP
dGhlciBDQTAeFw0yMDAxMDEwMDAwMDBaFw00MDAxMDEwMDAwMDBaMB4xHDAaBgNVBAMME1BsYWlu
U2lnaHQgT3RoZXIgQ0EwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDFBLsb4nzdy57+
daEzbzYzD4EMEQAlKSIR6HQSn+4H9n9aczsRpYStd83pmH6wD/3npuS95cGJDuvfkxVX6LHmHhYI
uL94kxAvDX6z5jAKT/urhHB151wuhUN1Js80nZjqfGoxeVk5281HM9LdC/t6bqLHB0Ik5rS3rfeH
2gfGx9UF8S3o5YA4Lb5BG9D8mCWpfNKqlN4+AgE7Uwdk3HYufHg03aNWub1WU5Q0KwqjRlHbFXGS
oI24iSy6WE4x26bB81MUe0ocz4tbPfnm9HTmBhK0H5kHUZWi8PeNxE/ML7sGkTw01ZvdJmO2y+Wo
jTITT/UKWU1kjCwnzhjd9LUFAgMBAAGjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD
AgEGMB0GA1UdDgQWBBQsFWz4t2uNvZCiAUFCiuYzYRvDlTANBgkqhkiG9w0BAQsFAAOCAQEAQeYF
zugFALsWfI7wt6AWUodV+//f6ik/ipkKBTxmmTt4gmSKdkrhiMLt8q2UjNVtfb6k5fBBxZcsUgWH
wbyszYLVFMJMBATmjxPcRoSm6kpWD7kxn1Z6QjLvDFSHSRRMRb/XdQwCq+wzNLIp7vqajy45FDLt
2LshaTyaIAxhmlgQ8TDsDG3h2AlVukYF+tVcuN58JMCW98p1aUAIfwuvngVgtdxlfuhLvqMCe9rE
KkaNen+9AoBekAw+9ni38GpeK+jl0oPzltFDxtGrE9BrnnGnwEWBcQCqbhaRn7L7Yw+P87fP/3/C
kP6XupjSMI7oUQYcC4cAH+ElyJY1zTAvdw==
"""

/// The DER bytes of a base64 constant (line breaks ignored).
func der(_ base64: String) -> [UInt8] {
    guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
        fatalError("fixture is not base64")
    }
    return [UInt8](data)
}

/// A PEM file body for a base64 constant (as a CA bundle holds it).
func pem(_ base64: String) -> String {
    let flat = base64.filter { !$0.isWhitespace }
    var lines = ["-----BEGIN CERTIFICATE-----"]
    var i = flat.startIndex
    while i < flat.endIndex {
        let j = flat.index(i, offsetBy: 64, limitedBy: flat.endIndex) ?? flat.endIndex
        lines.append(String(flat[i..<j]))
        i = j
    }
    lines.append("-----END CERTIFICATE-----")
    return lines.joined(separator: "\n") + "\n"
}
