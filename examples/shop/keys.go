package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// keysUsage is the synopsis of the keys subcommands.
const keysUsage = `Usage: shop keys add [-db FILE] ACCOUNT
       shop keys list [-db FILE]
       shop keys revoke [-db FILE] ACCOUNT
`

// runKeys runs "shop keys SUBCOMMAND":
//
//	shop keys add [-db FILE] ACCOUNT
//
// makes a new API key for ACCOUNT and prints it, alone on one line, on
// stdout, so that a script can take it (KEY=$(shop keys add demo)). The
// database keeps only the key's SHA-256: the key is shown this once. An
// account may have several keys.
//
//	shop keys list [-db FILE]
//
// prints one line per key: its account, when it was made (RFC 3339, UTC)
// and the first 8 hexadecimal digits of its SHA-256, which tell keys
// apart and reveal nothing of them.
//
//	shop keys revoke [-db FILE] ACCOUNT
//
// deletes every key of ACCOUNT, at once for every replica on the
// database, and prints how many.
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("keys: no subcommand")
	}
	sub := args[0]
	var wantArgs int
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, keysUsage)
		return flag.ErrHelp
	case "add", "revoke":
		wantArgs = 1
	case "list":
	default:
		fmt.Fprint(stderr, keysUsage)
		return fmt.Errorf("keys: unknown subcommand %q", clip(sub))
	}
	fs := flag.NewFlagSet("shop keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := "shop.db"
	if v := getenv("SHOP_DB"); v != "" {
		def = v
	}
	db := fs.String("db", def, "SQLite database file of the shop (env SHOP_DB)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\nACCOUNT is 1 to %d of a-z, 0-9, - and _, starting with a letter; "+
			"a key is sent as Authorization: Bearer KEY.\n\n", keysUsage, maxAccount)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != wantArgs {
		fs.Usage()
		if wantArgs == 0 {
			return fmt.Errorf("keys %s: unexpected argument %q", sub, clip(fs.Arg(0)))
		}
		return fmt.Errorf("keys %s: want one ACCOUNT", sub)
	}
	account := fs.Arg(0)
	if wantArgs == 1 && !validAccount(account) {
		return fmt.Errorf("keys %s: account %q: use 1 to %d of a-z, 0-9, - and _, starting with a letter", sub, clip(account), maxAccount)
	}
	if *db == ":memory:" {
		return fmt.Errorf("keys %s: -db :memory: is a database of this command alone; name the shop's database file", sub)
	}
	st, err := OpenStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "add":
		key, sum := newAPIKey()
		if err := st.AddAPIKey(ctx, sum, account); err != nil {
			return fmt.Errorf("keys add: %w", err)
		}
		_, err = fmt.Fprintln(stdout, key)
	case "list":
		var keys []APIKeyInfo
		if keys, err = st.ListAPIKeys(ctx); err != nil {
			return fmt.Errorf("keys list: %w", err)
		}
		for _, k := range keys {
			if _, err = fmt.Fprintf(stdout, "%s\t%s\t%x\n", k.Account, k.Created.Format(time.RFC3339), k.Hash[:4]); err != nil {
				break
			}
		}
	case "revoke":
		var n int64
		if n, err = st.RevokeAPIKeys(ctx, account); err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "revoked %d keys of %s\n", n, account)
	}
	return err
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// shellWord returns s as one word of a POSIX shell command line: as it is
// when it needs no quoting, else in single quotes.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
