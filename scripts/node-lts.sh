# . scripts/node-lts.sh — puts Node.js 26 (the current LTS, which eris needs for its built-in node:sqlite) first on
# PATH in the calling shell. Source it (POSIX sh, bash, zsh); it changes nothing else in your shell.
#
# A `node` of major 26 or newer already on PATH is used as it is. Otherwise the official Linux build of Node.js
# 26.12.1 is fetched from the npm registry (the `node-linux-<arch>` package, the same tarball as nodejs.org's),
# checked against the sha512 pinned below, and unpacked once into a cache outside the clone, keyed by version:
# $ERIS_TESTBED_CACHE (root: /var/cache/eris-testbed) or ${XDG_CACHE_HOME:-~/.cache}/eris for other users.
# Needs npm (any version the machine has), tar and openssl.

eris_node_lts() {
  local _version _arch _sha512 _major _cache _dir _tmp _got
  _version=26.12.1
  case "$(uname -m)" in
    x86_64) _arch=x64; _sha512=jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A== ;;
    aarch64) _arch=arm64; _sha512=8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ== ;;
    *) echo "node-lts: no Node.js build for $(uname -m) here; install Node.js >= 26 yourself" >&2; return 1 ;;
  esac
  _major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$_major" -ge 26 ]; then
    echo "node-lts: using $(command -v node) ($(node --version))"
    return 0
  fi
  if [ "$(id -u)" -eq 0 ]; then _cache=${ERIS_TESTBED_CACHE:-/var/cache/eris-testbed}; else _cache=${XDG_CACHE_HOME:-$HOME/.cache}/eris; fi
  _dir=$_cache/node-v$_version-linux-$_arch
  if [ ! -x "$_dir/bin/node" ]; then
    echo "node-lts: fetching Node.js $_version ($_arch) from the npm registry into $_dir"
    mkdir -p "$_cache" || return 1
    _tmp=$(mktemp -d "$_cache/.node-XXXXXX") || return 1
    if ! (cd "$_tmp" && npm pack --silent "node-linux-$_arch@$_version" >/dev/null); then
      echo "node-lts: npm pack node-linux-$_arch@$_version failed" >&2; rm -rf "$_tmp"; return 1
    fi
    _got=$(openssl dgst -sha512 -binary "$_tmp/node-linux-$_arch-$_version.tgz" | openssl base64 -A)
    if [ "$_got" != "$_sha512" ]; then
      echo "node-lts: sha512 mismatch for node-linux-$_arch-$_version.tgz (got $_got)" >&2; rm -rf "$_tmp"; return 1
    fi
    # Unpacked beside the cache entry, then renamed: a half-written runtime is never found by the next run.
    tar -xzf "$_tmp/node-linux-$_arch-$_version.tgz" -C "$_tmp" && mv "$_tmp/package" "$_dir.$$" &&
      { mv -T "$_dir.$$" "$_dir" 2>/dev/null || rm -rf "$_dir.$$"; }
    rm -rf "$_tmp"
    [ -x "$_dir/bin/node" ] || { echo "node-lts: unpacking into $_dir failed" >&2; return 1; }
  fi
  PATH=$_dir/bin:$PATH
  export PATH
  echo "node-lts: using $_dir/bin/node ($(node --version))"
}

eris_node_lts
_eris_node_lts_status=$?
unset -f eris_node_lts
# shellcheck disable=SC2317 # sourced: return; run as a script: exit
return $_eris_node_lts_status 2>/dev/null || exit $_eris_node_lts_status
