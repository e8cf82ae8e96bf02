package eris

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// DefaultCoordinator is the coordinator used when nothing names one.
const DefaultCoordinator = "http://127.0.0.1:7700"

// Connection is a resolved coordinator URL and token; Source says where the URL came from: "argument",
// "context NAME", "env" or "default".
type Connection struct {
	Coordinator string
	Token       string
	Source      string
}

// ConnectionSettings are what a caller gave explicitly; empty fields are resolved from the environment.
type ConnectionSettings struct {
	BaseURL, Token, TokenFile, Context string
}

type layer struct {
	name, coordinator, token, tokenFile string
}

type contextEntry map[string]string

// ContextsPath is where the CLI keeps its named coordinators: $ERIS_CONFIG, else
// $XDG_CONFIG_HOME/eris/contexts.yaml, else ~/.config/eris/contexts.yaml. getenv is os.Getenv when nil.
func ContextsPath(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv("ERIS_CONFIG"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return abs
	}
	base := getenv("XDG_CONFIG_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "eris", "contexts.yaml")
}

func readContexts(path string) (string, map[string]contextEntry, []string, error) {
	text, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, &ConfigError{Path: "contexts", Message: fmt.Sprintf("cannot read the contexts file %s: %v", path, err), Err: err}
	}
	if strings.TrimSpace(string(text)) == "" {
		return "", nil, nil, nil
	}
	var data any
	if err := yaml.Unmarshal(text, &data); err != nil {
		return "", nil, nil, &ConfigError{Path: "contexts", Message: fmt.Sprintf("%s: %v", path, err), Err: err}
	}
	if data == nil {
		return "", nil, nil, nil
	}
	top, ok := data.(map[string]any)
	if !ok {
		return "", nil, nil, &ConfigError{Path: "contexts", Message: path + ": must be a map with current and contexts"}
	}
	out := map[string]contextEntry{}
	var order []string
	if raw, present := top["contexts"]; present && raw != nil {
		contexts, ok := raw.(map[string]any)
		if !ok {
			return "", nil, nil, &ConfigError{Path: "contexts", Message: path + ": contexts: must be a map of name → {coordinator, token | tokenFile}"}
		}
		order = orderedKeys(text, contexts)
		for _, name := range order {
			entry, ok := contexts[name].(map[string]any)
			if !ok {
				return "", nil, nil, &ConfigError{Path: "contexts." + name, Message: fmt.Sprintf("%s: contexts.%s: must be a map {coordinator, token | tokenFile}", path, name)}
			}
			e := contextEntry{}
			for _, key := range slices.Sorted(maps.Keys(entry)) {
				if key != "coordinator" && key != "token" && key != "tokenFile" {
					return "", nil, nil, &ConfigError{Path: "contexts." + name + "." + key, Message: fmt.Sprintf("%s: contexts.%s.%s: unknown key (coordinator, token, tokenFile)", path, name, key)}
				}
				if v := entry[key]; v != nil {
					e[key] = fmt.Sprint(v)
				}
			}
			out[name] = e
		}
	}
	current, _ := top["current"].(string)
	return current, out, order, nil
}

// orderedKeys lists the contexts in the order the file has them (for messages, as the CLI lists them).
func orderedKeys(text []byte, m map[string]any) []string {
	keys := slices.Sorted(maps.Keys(m))
	pos := func(k string) int {
		i := strings.Index(string(text), "\n  "+k+":")
		if i < 0 {
			return len(text)
		}
		return i
	}
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(pos(a), pos(b)) })
	return keys
}

var secretLine = regexp.MustCompile(`^([A-Za-z0-9_.-]{1,64}):(.+)$`)

// firstSecret is the first line of a token file that is not blank or a comment; "name:token" gives token.
func firstSecret(path string) (string, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, raw := range strings.Split(string(text), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m := secretLine.FindStringSubmatch(line); m != nil {
			return m[2], nil
		}
		return line, nil
	}
	return "", &ConfigError{Path: "tokenFile", Message: fmt.Sprintf("tokenFile: %s holds no token", path)}
}

var hasScheme = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*://`)

// normaliseURL adds http:// when no scheme is given and drops trailing slashes; only http(s) is accepted.
func normaliseURL(raw, where string) (string, error) {
	withScheme := raw
	if !hasScheme.MatchString(raw) {
		withScheme = "http://" + raw
	}
	u, err := url.Parse(withScheme)
	if err != nil || (strings.ToLower(u.Scheme) != "http" && strings.ToLower(u.Scheme) != "https") || u.Host == "" {
		return "", &ConfigError{Path: where, Message: fmt.Sprintf("%s: not an http(s) URL: %q", where, raw), Err: err}
	}
	return strings.TrimRight(withScheme, "/"), nil
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// ResolveConnection finds the coordinator and token exactly as the eris CLI does (cli/connection.ts). First
// wins: the settings given; the context named by s.Context or ERIS_CONTEXT; ERIS_COORDINATOR, ERIS_TOKEN,
// ERIS_TOKEN_FILE; the current context of the contexts file; DefaultCoordinator. getenv is os.Getenv when nil.
func ResolveConnection(s ConnectionSettings, getenv func(string) string) (Connection, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if s.Token != "" && s.TokenFile != "" {
		return Connection{}, &ConfigError{Path: "token", Message: "give one of WithToken and WithTokenFile"}
	}
	layers := []layer{{"argument", s.BaseURL, s.Token, s.TokenFile}}
	contextName := s.Context
	if contextName == "" {
		contextName = getenv("ERIS_CONTEXT")
	}
	path := ContextsPath(getenv)
	current, contexts, order, err := readContexts(path)
	if err != nil {
		return Connection{}, err
	}
	contextLayer := func(name string) (layer, error) {
		e, ok := contexts[name]
		if !ok {
			hint := " (eris context add NAME --url URL)"
			if len(order) > 0 {
				hint = " (contexts: " + strings.Join(order, ", ") + ")"
			}
			return layer{}, &ConfigError{Path: "context", Message: fmt.Sprintf("no context %q in %s%s", name, path, hint)}
		}
		return layer{"context " + name, e["coordinator"], e["token"], e["tokenFile"]}, nil
	}
	if contextName != "" {
		l, err := contextLayer(contextName)
		if err != nil {
			return Connection{}, err
		}
		layers = append(layers, l)
	}
	layers = append(layers, layer{"env", getenv("ERIS_COORDINATOR"), getenv("ERIS_TOKEN"), getenv("ERIS_TOKEN_FILE")})
	if _, ok := contexts[current]; contextName == "" && current != "" && ok {
		l, _ := contextLayer(current)
		layers = append(layers, l)
	}

	conn := Connection{Coordinator: DefaultCoordinator, Source: "default"}
	for _, l := range layers {
		if l.coordinator == "" {
			continue
		}
		where := l.name
		if where == "argument" {
			where = "baseURL"
		}
		if conn.Coordinator, err = normaliseURL(l.coordinator, where); err != nil {
			return Connection{}, err
		}
		conn.Source = l.name
		break
	}
	for _, l := range layers {
		if l.token != "" {
			conn.Token = strings.TrimSpace(l.token)
			break
		}
		if l.tokenFile != "" {
			file := expandHome(l.tokenFile)
			token, err := firstSecret(file)
			if err != nil {
				if _, isConfig := err.(*ConfigError); isConfig {
					return Connection{}, err
				}
				return Connection{}, &ConfigError{Path: "tokenFile", Message: fmt.Sprintf("token file %s (%s): %v", file, l.name, err), Err: err}
			}
			conn.Token = token
			break
		}
	}
	return conn, nil
}
