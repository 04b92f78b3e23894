package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// runKeys runs "shop keys SUBCOMMAND": today only
//
//	shop keys add [-db FILE] ACCOUNT
//
// which makes a new API key for ACCOUNT and prints it, alone on one line,
// on stdout, so that a script can take it (KEY=$(shop keys add demo)).
// The database keeps only the key's SHA-256: the key is shown this once.
// An account may have several keys; each works until its row in api_keys
// is deleted.
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintf(stderr, "Usage: shop keys add [-db FILE] ACCOUNT\n")
		if len(args) == 0 {
			return errors.New("keys: no subcommand")
		}
		return fmt.Errorf("keys: unknown subcommand %q", args[0])
	}
	fs := flag.NewFlagSet("shop keys add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := "shop.db"
	if v := getenv("SHOP_DB"); v != "" {
		def = v
	}
	db := fs.String("db", def, "SQLite database file of the shop (env SHOP_DB)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: shop keys add [-db FILE] ACCOUNT\n\n"+
			"Prints a new API key for ACCOUNT (a-z, 0-9, - and _, starting with a letter, at most %d), "+
			"sent as Authorization: Bearer KEY.\n\n", maxAccount)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("keys add: want one ACCOUNT")
	}
	account := fs.Arg(0)
	if !validAccount(account) {
		return fmt.Errorf("keys add: account %q: use 1 to %d of a-z, 0-9, - and _, starting with a letter", clip(account), maxAccount)
	}
	if *db == ":memory:" {
		return errors.New("keys add: -db :memory: would keep the key nowhere; name the shop's database file")
	}
	st, err := OpenStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	key, sum := newAPIKey()
	if err := st.AddAPIKey(ctx, sum, account); err != nil {
		return fmt.Errorf("keys add: %w", err)
	}
	_, err = fmt.Fprintln(stdout, key)
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
