package apptest

import "github.com/overdue/overdue/internal/auth"

// The fixtures' passwords, hashed once ahead of time by auth.HashPassword
// with its current parameters (TestKnownHashes checks each one and that it
// needs no rehash). Under the race detector one argon2id hash takes seconds,
// and the HTTP tests store hundreds of users with these few passwords: a
// password found here is not hashed again. The table is read-only; log-ins
// still verify the real hash.
var knownHashes = map[string]string{
	"correct horse":         "argon2$argon2id$v=19$m=65536,t=2,p=2$mWU4MvZcxAzBGHbepO4ygg$WRcsfnSm08vPxqj2r3NRfm2MakL1I67rdyaU3qOZfBI",
	"battery staple":        "argon2$argon2id$v=19$m=65536,t=2,p=2$WD4kIclHHfx4JqBac/D/cw$mGGqy+JyHz7VXm8taaVlFRZmUqEcduIPbnqd8djldwA",
	"eve's password":        "argon2$argon2id$v=19$m=65536,t=2,p=2$cSGR3iSM62w2ekJu1ifg5g$qadSg8udojd95dHB4ZfMN+cYy2czbUo6COVgZIcM62Q",
	"carol's password":      "argon2$argon2id$v=19$m=65536,t=2,p=2$H4pVNu0TSAeUUAbHmFrWpQ$9JQtMcDb1YN9EkFyzkNY0ypflJPP3ZrpxbFKDtGp8UU",
	"alice's password":      "argon2$argon2id$v=19$m=65536,t=2,p=2$C3tcQbpsrpASSLIyjW6atQ$w22LC5A8I4Zwi2YF+EYYl9fM3/LKZ+c7qX37SGB2oog",
	"password owner":        "argon2$argon2id$v=19$m=65536,t=2,p=2$MgXWZxBK6a6ghg7S2A9LKg$e0ZzybosGZfwXsemb5Yj/l7duJmcDW3pyL0SKHNYdsQ",
	"password manager":      "argon2$argon2id$v=19$m=65536,t=2,p=2$XYEYtOgnmNR+McaSHRASvg$65/cOUY9tOPYmAMkpHwPgfRfAJs/dgQuDLL+p8KW/qA",
	"password member":       "argon2$argon2id$v=19$m=65536,t=2,p=2$w3WDe8viezEWsfc6PGjDAg$aT5k5jMNyZpcUfSxRNYHzh1H/Y8vwSeauSvHkObDzs4",
	"password readonly":     "argon2$argon2id$v=19$m=65536,t=2,p=2$WmVZc4sklWCIT+MlGbK9Tg$1G75ZCCVElngTKlSPb+V/ijp9fcHUZQoTQMLA++nB+o",
	"password stranger":     "argon2$argon2id$v=19$m=65536,t=2,p=2$9aUQrC0H+DJvx8qhKA5xww$L02yPblSH9vtqsaACROGyU3ok4gMBifbeUELSIHTEUM",
	"password frank":        "argon2$argon2id$v=19$m=65536,t=2,p=2$p+h6YwcZKD8aHo386NPFPA$JkcNtx1ADBAgdLHT//OEuCMFh37rxmhlGxRGZUVkdQs",
	"correct horse battery": "argon2$argon2id$v=19$m=65536,t=2,p=2$dlFjS2FI5Nkcth3ZNZbjrQ$FcWFOQWtsi0z1cu6y78fjXk7HoOf3Xpgpx6gAUUyZz8",
}

// HashPassword is auth.HashPassword, taken from the table above when the
// password is one of the fixtures'.
func HashPassword(password string) (string, error) {
	if h, ok := knownHashes[password]; ok {
		return h, nil
	}
	return auth.HashPassword(password)
}
