package eris_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeContexts(t *testing.T, dir, tokenFile string) map[string]string {
	path := filepath.Join(dir, "contexts.yaml")
	text := "current: prod\ncontexts:\n  prod:\n    coordinator: prod.example:7700\n    tokenFile: " + tokenFile +
		"\n  local:\n    coordinator: http://127.0.0.1:7799/\n    token: local-token\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"ERIS_CONFIG": path}
}

// cliSays is what `eris context current --json` answers in this environment: the CLI is the reference.
func cliSays(t *testing.T, env map[string]string) map[string]any {
	node := os.Getenv("ERIS_NODE")
	if node == "" {
		node = "node"
	}
	cmd := exec.Command(node, filepath.Join(testcluster.Root(), "bin", "eris.js"), "context", "current", "--json")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ERIS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("eris context current: %v", err)
	}
	var answer map[string]any
	if err := json.Unmarshal(out, &answer); err != nil {
		t.Fatal(err)
	}
	return answer
}

func TestConnectionMatchesTheCLI(t *testing.T) {
	cases := []struct {
		extra                      map[string]string
		coordinator, token, source string
	}{
		{nil, "http://prod.example:7700", "prod-secret", "context prod"},
		{map[string]string{"ERIS_CONTEXT": "local"}, "http://127.0.0.1:7799", "local-token", "context local"},
		{map[string]string{"ERIS_COORDINATOR": "https://env.example", "ERIS_TOKEN": "env-token"}, "https://env.example", "env-token", "env"},
		{map[string]string{"ERIS_CONTEXT": "local", "ERIS_COORDINATOR": "http://env.example"}, "http://127.0.0.1:7799", "local-token", "context local"},
		{map[string]string{"ERIS_COORDINATOR": "http://env.example"}, "http://env.example", "prod-secret", "env"},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		tokenFile := filepath.Join(dir, "prod.token")
		_ = os.WriteFile(tokenFile, []byte("# the prod token\nci:prod-secret\n"), 0o600)
		env := writeContexts(t, dir, tokenFile)
		for k, v := range tc.extra {
			env[k] = v
		}
		conn, err := eris.ResolveConnection(eris.ConnectionSettings{}, envOf(env))
		if err != nil {
			t.Fatal(err)
		}
		if conn.Coordinator != tc.coordinator || conn.Token != tc.token || conn.Source != tc.source {
			t.Fatalf("%v: %+v", tc.extra, conn)
		}
		cli := cliSays(t, env)
		if cli["coordinator"] != tc.coordinator || cli["source"] != tc.source || cli["token"] != true {
			t.Fatalf("%v: the CLI says %v", tc.extra, cli)
		}
	}
}

func TestConnectionDefaultsArgumentsAndXDG(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ERIS_CONFIG": filepath.Join(dir, "none.yaml")}
	conn, err := eris.ResolveConnection(eris.ConnectionSettings{}, envOf(env))
	if err != nil || conn.Coordinator != eris.DefaultCoordinator || conn.Token != "" || conn.Source != "default" {
		t.Fatalf("%+v %v", conn, err)
	}
	if cli := cliSays(t, env); cli["coordinator"] != eris.DefaultCoordinator || cli["source"] != "default" || cli["token"] != false {
		t.Fatalf("the CLI says %v", cli)
	}
	_ = os.MkdirAll(filepath.Join(dir, "eris"), 0o700)
	_ = os.WriteFile(filepath.Join(dir, "eris", "contexts.yaml"), []byte("current: a\ncontexts:\n  a:\n    coordinator: http://a:1\n    token: ta\n"), 0o600)
	xdg := map[string]string{"XDG_CONFIG_HOME": dir, "HOME": dir}
	if conn, _ := eris.ResolveConnection(eris.ConnectionSettings{}, envOf(xdg)); conn.Coordinator != "http://a:1" || conn.Token != "ta" {
		t.Fatalf("%+v", conn)
	}
	conn, _ = eris.ResolveConnection(eris.ConnectionSettings{BaseURL: "http://arg:2", Token: "targ"}, envOf(xdg))
	if conn.Coordinator != "http://arg:2" || conn.Token != "targ" || conn.Source != "argument" {
		t.Fatalf("%+v", conn)
	}
}

func TestABadContextsFileNamesTheField(t *testing.T) {
	for text, path := range map[string]string{
		"contexts: [1]\n":                      "contexts",
		"contexts:\n  a: 3\n":                  "contexts.a",
		"contexts:\n  a:\n    url: http://x\n": "contexts.a.url",
	} {
		file := filepath.Join(t.TempDir(), "c.yaml")
		_ = os.WriteFile(file, []byte(text), 0o600)
		_, err := eris.ResolveConnection(eris.ConnectionSettings{}, envOf(map[string]string{"ERIS_CONFIG": file}))
		var cfg *eris.ConfigError
		if !errors.As(err, &cfg) || cfg.Path != path {
			t.Fatalf("%q: %v", text, err)
		}
	}
}

func TestUnknownContextAndMissingTokenFile(t *testing.T) {
	dir := t.TempDir()
	env := writeContexts(t, dir, filepath.Join(dir, "missing.token"))
	_, err := eris.ResolveConnection(eris.ConnectionSettings{Context: "nope"}, envOf(env))
	if err == nil || !strings.Contains(err.Error(), `no context "nope"`) || !strings.Contains(err.Error(), "contexts: prod, local") {
		t.Fatalf("%v", err)
	}
	_, err = eris.ResolveConnection(eris.ConnectionSettings{}, envOf(env))
	var cfg *eris.ConfigError
	if !errors.As(err, &cfg) || cfg.Path != "tokenFile" || !strings.Contains(err.Error(), "missing.token") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%v", err)
	}
	if _, err = eris.NewClient("", eris.WithToken("a"), eris.WithTokenFile("b"), eris.WithGetenv(envOf(env))); !errors.As(err, &cfg) || cfg.Path != "token" {
		t.Fatalf("%v", err)
	}
}

func TestAClientFromEnvAndTokenFileReachesTheCoordinator(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	_ = os.WriteFile(tokenFile, []byte("me:"+testcluster.Token+"\n"), 0o600)
	t.Setenv("ERIS_COORDINATOR", strings.TrimPrefix(cluster.URL, "http://"))
	t.Setenv("ERIS_TOKEN_FILE", tokenFile)
	c, err := eris.NewClient("")
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != cluster.URL {
		t.Fatalf("%s", c.BaseURL())
	}
	if agents, err := c.Agents(ctx(t)); err != nil || len(agents) != 1 {
		t.Fatalf("%v %v", agents, err)
	}
}
