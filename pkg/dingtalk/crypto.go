package dingtalk

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// padBlock is the PKCS#7 block of DingTalk's ciphertexts: 32 bytes, not
// AES's 16, so pad values run from 1 to 32 (dingtalk.md §1.2, pitfall 2).
const padBlock = 32

// Signature returns DingTalk's signature of a push or a reply: the
// lowercase hex SHA-1 of token, timestamp, nonce and encrypt, sorted as
// strings and concatenated. The strings are signed exactly as sent.
func Signature(token, timestamp, nonce, encrypt string) string {
	parts := []string{token, timestamp, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// signatureOK compares a received signature with the expected one in
// constant time (case-insensitively: hex digits only).
func signatureOK(got, token, timestamp, nonce, encrypt string) bool {
	want := Signature(token, timestamp, nonce, encrypt)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}

// Encrypt seals msg as DingTalk does: AES-256-CBC with the key decoded
// from the EncodingAESKey and IV = its first 16 bytes, over 16 random bytes,
// the 4-byte big-endian length of msg, msg, and ownerKey (the app key),
// PKCS#7-padded to 32 bytes; base64 (standard, padded).
func Encrypt(aesKey, ownerKey string, msg []byte) (string, error) {
	key, err := aesKeyBytes(aesKey)
	if err != nil {
		return "", fmt.Errorf("dingtalk: aesKey %v", err)
	}
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("dingtalk: random bytes: %w", err)
	}
	return seal(key, random[:], ownerKey, msg), nil
}

// seal is Encrypt with the key decoded and the random prefix given.
func seal(key, random []byte, ownerKey string, msg []byte) string {
	plain := make([]byte, 0, 16+4+len(msg)+len(ownerKey)+padBlock)
	plain = append(plain, random...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, ownerKey...)
	pad := padBlock - len(plain)%padBlock
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, _ := aes.NewCipher(key) // 32 bytes: cannot fail
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:aes.BlockSize]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

// cryptoError is why a ciphertext cannot be opened. Its text never holds
// key material or plaintext.
type cryptoError string

func (e cryptoError) Error() string { return string(e) }

// Decrypt opens an encrypt value sealed by Encrypt (or by DingTalk) and
// returns the message and the owner key that followed it. It checks every
// length before slicing and the padding strictly (1 to 32, all bytes
// equal), so a wrong key or a forged ciphertext is an error, never a panic.
func Decrypt(aesKey, encrypt string) (msg []byte, ownerKey string, err error) {
	key, err := aesKeyBytes(aesKey)
	if err != nil {
		return nil, "", fmt.Errorf("dingtalk: aesKey %v", err)
	}
	return open(key, encrypt)
}

func open(key []byte, encrypt string) ([]byte, string, error) {
	ct, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, "", cryptoError("encrypt is not base64")
	}
	if len(ct) == 0 || len(ct)%padBlock != 0 {
		return nil, "", cryptoError(fmt.Sprintf("ciphertext is %d bytes, not a positive multiple of %d", len(ct), padBlock))
	}
	block, _ := aes.NewCipher(key)
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(plain, ct)

	pad := int(plain[len(plain)-1])
	bad := 0
	if pad < 1 || pad > padBlock {
		bad = 1
		pad = 1
	}
	// Check every pad byte; the ciphertext is authenticated by the
	// signature already, so this is about bugs and wrong keys, not oracles.
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			bad = 1
		}
	}
	if bad != 0 {
		return nil, "", cryptoError("bad padding (wrong aesKey?)")
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, "", cryptoError("plaintext too short for the random prefix and length")
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	rest := plain[20:]
	if uint64(n) > uint64(len(rest)) {
		return nil, "", cryptoError(fmt.Sprintf("message length %d exceeds the %d bytes left (wrong aesKey?)", n, len(rest)))
	}
	return rest[:n], string(rest[n:]), nil
}
