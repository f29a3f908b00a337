# apps_image.sh - the `apps` test image; sourced by scripts/build-test-images.sh (uses its say, die,
# chroot_prepare, in_chroot, chroot_release, tidy_rootfs, tar_layer, set_config, dpkg_tsv, export_image
# and the variables CACHE BUILD LAYOUT ISO AUTHOR SDE OUTDIR ROOT). The image and the manifest are
# described in that script's header.
#
# Each ecosystem's files are made by the ecosystem's own tools on the host (gem/bundle, jar, composer,
# yarn/pnpm, poetry/pipenv) into a staging directory by a function apps_fx_NAME. apps_cached keeps the
# result under $CACHE/apps keyed by the function's text and the tool versions, so a rebuild reuses it
# (and, for lockfiles resolved against PyPI or npm, reuses the same resolution).

APPS_TOOLS=$CACHE/apps/tools
APPS_YARN1=1.22.22 APPS_BERRY=4.5.3 APPS_PNPM=9.15.9 APPS_POETRY=2.1.3 APPS_PIPENV=2025.0.4

apps_host_tools() {  # the host tools the fixtures are made with; apt-get installs the missing ones
  local pkgs=()
  command -v ruby >/dev/null || pkgs+=(ruby)
  command -v bundle >/dev/null || pkgs+=(bundler)
  command -v jar >/dev/null || pkgs+=(openjdk-17-jdk-headless)
  command -v php >/dev/null || pkgs+=(php-cli)
  php -m 2>/dev/null | grep -qx zip || pkgs+=(php-zip)
  command -v composer >/dev/null || pkgs+=(composer)
  command -v npm >/dev/null || pkgs+=(npm)
  python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
  [ ${#pkgs[@]} = 0 ] && return 0
  say "apps: apt-get install ${pkgs[*]}"
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; } \
    || die "apps: cannot install ${pkgs[*]}"
}

apps_cached() {  # apps_cached NAME FUNC DIR [KEY...]: FUNC DIR, or its cached output
  local name=$1 fn=$2 dir=$3 key f tmp; shift 3
  key=$( { declare -f "$fn"; printf '%s\n' "$@"; } | sha256sum | cut -c1-16)
  f=$CACHE/apps/$name-$key.tar
  mkdir -p "$dir" "$CACHE/apps"
  if [ -f "$f" ]; then
    tar -xf "$f" -C "$dir"
    return 0
  fi
  say "apps: making the $name files (cached as $f)"
  tmp=$BUILD/apps-fx-$name
  rm -rf "$tmp"; mkdir -p "$tmp/out"
  "$fn" "$tmp/out" "$tmp/work" || die "apps: $name fixture failed"
  tar -cf "$f.tmp" -C "$tmp/out" . && mv "$f.tmp" "$f"
  ls -t "$CACHE/apps/$name"-*.tar | tail -n +3 | xargs -r rm -f   # keep the last two keys
  tar -xf "$f" -C "$dir"
  rm -rf "$tmp"
}

apps_apt() {  # apps_apt ROOTFS PKG...: apt-get install in the chroot; the package lists are kept a day
  local r=$1 lists=$CACHE/apt/lists; shift
  chroot_prepare "$r"
  # no fsync per file: the rootfs is thrown away if the build fails (removed again below)
  echo force-unsafe-io > "$r/etc/dpkg/dpkg.cfg.d/palisade-unsafe-io"
  if [ -n "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    cp -a "$lists/." "$r/var/lib/apt/lists/"
  else
    in_chroot "$r" apt-get update -qq || die "apps: apt-get update failed"
    rm -rf "$lists"; mkdir -p "$lists"; cp -a "$r/var/lib/apt/lists/." "$lists/"
  fi
  if ! in_chroot "$r" apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    in_chroot "$r" apt-get update -qq || die "apps: apt-get update failed"
    rm -rf "$lists"; mkdir -p "$lists"; cp -a "$r/var/lib/apt/lists/." "$lists/"
    in_chroot "$r" apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apps: apt-get install $* failed"
  fi
  chroot_release "$r"
  rm -rf "$r"/var/lib/apt/lists/lock "$r"/var/lib/apt/lists/partial "$r/etc/dpkg/dpkg.cfg.d/palisade-unsafe-io"
}

# ------------------------------------------------------------------ Ruby
apps_fx_ruby() {  # OUT WORK: gems installed by `gem install` into usr/local/bundle; opt/app/ruby's
  # Gemfile.lock written by `bundle lock --local` against them (rubygems.org is not needed: the host's
  # default gems, e.g. racc 1.6.0 of Debian's ruby 3.1, resolve the rest)
  local out=$1 w=$2 n v p deps d
  mkdir -p "$w/gems" "$out/usr/local/bundle" "$out/opt/app/ruby"
  # name version platform dependencies; real gems, old versions the rubysec advisories cover
  while IFS='|' read -r n v p deps; do
    d=$w/src/$n-$v; mkdir -p "$d/lib"
    echo "# $n $v: palisade test fixture" > "$d/lib/$n.rb"
    { echo "Gem::Specification.new do |s|"
      echo "  s.name = \"$n\""; echo "  s.version = \"$v\""
      [ "$p" = ruby ] || echo "  s.platform = \"$p\""
      echo '  s.summary = "palisade test fixture"'; echo '  s.authors = ["palisade"]'
      echo '  s.license = "MIT"'; echo "  s.homepage = \"https://rubygems.org/gems/$n\""
      echo "  s.files = [\"lib/$n.rb\"]"
      [ -z "$deps" ] || tr ';' '\n' <<< "$deps" | sed 's/^/  s.add_runtime_dependency /'
      echo end; } > "$d/$n.gemspec"
    (cd "$d" && gem build --quiet "$n.gemspec" -o "$w/gems/$n-$v-$p.gem" >/dev/null) || return 1
  done <<'GEMS'
rack|2.0.8|ruby|
rack|3.0.0.beta1|ruby|
actionpack|5.0.0.beta1|ruby|"rack", "~> 2.0";"rails-html-sanitizer", "~> 1.0"
activesupport|6.1.4.1|ruby|"concurrent-ruby", "~> 1.0", ">= 1.0.2";"i18n", ">= 1.6", "< 2"
concurrent-ruby|1.1.9|ruby|
i18n|1.8.10|ruby|"concurrent-ruby", "~> 1.0"
nokogiri|1.13.5|x86_64-linux|"racc", "~> 1.4"
crass|1.0.6|ruby|
loofah|2.19.0|ruby|"crass", "~> 1.0.2";"nokogiri", ">= 1.5.9"
rails-html-sanitizer|1.4.2|ruby|"loofah", "~> 2.3"
GEMS
  gem install --quiet --local --ignore-dependencies --no-document --install-dir "$out/usr/local/bundle" \
    "$w"/gems/*.gem >/dev/null || return 1
  cat > "$out/opt/app/ruby/Gemfile" <<'GEMFILE'
source "https://rubygems.org"

gem "rack", "2.0.8"
gem "actionpack", "5.0.0.beta1"
gem "activesupport", "6.1.4.1"
gem "nokogiri", "1.13.5"
GEMFILE
  (cd "$out/opt/app/ruby" && env GEM_HOME="$out/usr/local/bundle" GEM_PATH="$out/usr/local/bundle" \
     BUNDLE_USER_HOME="$w/bundle-home" BUNDLE_APP_CONFIG="$w/bundle-config" bundle lock --local >/dev/null) \
    || return 1
  rm -rf "$out/usr/local/bundle/cache" "$out/usr/local/bundle/build_info" "$out/usr/local/bundle/plugins"
}

# ------------------------------------------------------------------ Java
apps_jar() {  # apps_jar OUT.jar DIR [MANIFEST|-M] [jar options]: the JDK's jar tool, entries dated SDE
  local out=$1 dir=$2 mf=${3:-}; shift 3 || shift $#
  case $mf in
    "") jar --create --file "$out" --date="$ISO" "$@" -C "$dir" . ;;
    -M) jar --create --file "$out" --date="$ISO" --no-manifest "$@" -C "$dir" . ;;
    *) jar --create --file "$out" --date="$ISO" --manifest "$mf" "$@" -C "$dir" . ;;
  esac
}

apps_fx_java() {  # OUT WORK: archives under opt/app/java, each with what real builds put in them
  local out=$1 w=$2 j=$1/opt/app/java d a
  mkdir -p "$j/lib" "$w"
  pomdir() {  # pomdir DIR GROUP ARTIFACT VERSION: META-INF/maven/G/A/pom.properties and pom.xml
    local m=$1/META-INF/maven/$2/$3
    mkdir -p "$m"
    printf '#Created by Apache Maven 3.6.3\nartifactId=%s\ngroupId=%s\nversion=%s\n' "$3" "$2" "$4" > "$m/pom.properties"
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>%s</groupId>\n  <artifactId>%s</artifactId>\n  <version>%s</version>\n</project>\n' "$2" "$3" "$4" > "$m/pom.xml"
  }
  res() { mkdir -p "$1/$2"; printf '# %s: palisade test fixture\n' "$2" > "$1/$2/fixture.properties"; }
  mf() {  # mf FILE KEY: VALUE...
    local f=$1; shift; printf '%s\n' "Manifest-Version: 1.0" "$@" > "$f"
  }
  # a plain library jar: pom.properties + manifest (log4j-core 2.14.1: CVE-2021-44228)
  d=$w/log4j-core; pomdir "$d" org.apache.logging.log4j log4j-core 2.14.1; res "$d" org/apache/logging/log4j/core
  mf "$w/log4j-core.mf" "Implementation-Title: Apache Log4j Core" "Implementation-Version: 2.14.1" \
    "Implementation-Vendor-Id: org.apache.logging.log4j" "Bundle-SymbolicName: org.apache.logging.log4j.core" \
    "Bundle-Version: 2.14.1"
  apps_jar "$j/lib/log4j-core-2.14.1.jar" "$d" "$w/log4j-core.mf" || return 1
  # a manifest with Implementation-Title/Version only, no version in the file name (Gradle-built
  # Spring jars carry no pom.properties)
  d=$w/spring-web; res "$d" org/springframework/web
  mf "$w/spring-web.mf" "Implementation-Title: spring-web" "Implementation-Version: 5.3.17" \
    "Automatic-Module-Name: spring.web"
  apps_jar "$j/lib/spring-web.jar" "$d" "$w/spring-web.mf" || return 1
  # only the file name tells (no manifest at all)
  d=$w/commons-lang3; res "$d" org/apache/commons/lang3
  apps_jar "$j/lib/commons-lang3-3.8.jar" "$d" -M || return 1
  # a shaded jar: its own pom.properties and those of what it shaded in
  d=$w/shaded; pomdir "$d" com.example shaded-app 1.0.0; pomdir "$d" com.google.guava guava 24.1-jre
  pomdir "$d" com.google.code.gson gson 2.8.5; pomdir "$d" commons-codec commons-codec 1.11
  res "$d" com/example/shaded; res "$d" com/google/common/base; res "$d" com/google/gson
  mf "$w/shaded.mf" "Main-Class: com.example.shaded.Main"
  apps_jar "$j/lib/shaded-app-1.0.0.jar" "$d" "$w/shaded.mf" || return 1
  # a Spring Boot fat jar: BOOT-INF/lib/*.jar STORED; one of them holds another jar (two levels)
  mkdir -p "$w/boot/BOOT-INF/lib" "$w/boot/BOOT-INF/classes"
  d=$w/snakeyaml; pomdir "$d" org.yaml snakeyaml 1.26; res "$d" org/yaml/snakeyaml
  apps_jar "$w/snakeyaml-1.26.jar" "$d" || return 1
  d=$w/shared-utils; pomdir "$d" com.example shared-utils 1.2.0; res "$d" com/example/shared
  mkdir -p "$d/lib"; cp "$w/snakeyaml-1.26.jar" "$d/lib/"
  apps_jar "$w/boot/BOOT-INF/lib/shared-utils-1.2.0.jar" "$d" || return 1
  d=$w/jackson; pomdir "$d" com.fasterxml.jackson.core jackson-databind 2.9.10; res "$d" com/fasterxml/jackson/databind
  apps_jar "$w/boot/BOOT-INF/lib/jackson-databind-2.9.10.jar" "$d" || return 1
  for a in spring-core spring-beans; do
    d=$w/$a; res "$d" "org/springframework/${a#spring-}"
    mf "$w/$a.mf" "Implementation-Title: $a" "Implementation-Version: 5.3.17" "Automatic-Module-Name: spring.${a#spring-}"
    apps_jar "$w/boot/BOOT-INF/lib/$a-5.3.17.jar" "$d" "$w/$a.mf" || return 1
  done
  d=$w/boot-app; pomdir "$d" com.example demo 0.0.1-SNAPSHOT; res "$d" BOOT-INF/classes/com/example/demo
  printf 'server.port=8080\n' > "$d/BOOT-INF/classes/application.properties"
  (cd "$w/boot" && ls BOOT-INF/lib | sed 's|^|- "BOOT-INF/lib/|; s|$|"|') > "$d/BOOT-INF/classpath.idx"
  mf "$w/boot.mf" "Main-Class: org.springframework.boot.loader.JarLauncher" \
    "Start-Class: com.example.demo.DemoApplication" "Spring-Boot-Version: 2.6.5" \
    "Spring-Boot-Classes: BOOT-INF/classes/" "Spring-Boot-Lib: BOOT-INF/lib/" \
    "Spring-Boot-Classpath-Index: BOOT-INF/classpath.idx"
  apps_jar "$j/demo-0.0.1-SNAPSHOT.jar" "$d" "$w/boot.mf" || return 1
  jar --update --file "$j/demo-0.0.1-SNAPSHOT.jar" --date="$ISO" --no-compress -C "$w/boot" BOOT-INF/lib || return 1
  # a WAR: WEB-INF/lib/*.jar
  mkdir -p "$w/war/WEB-INF/lib"
  d=$w/commons-text; pomdir "$d" org.apache.commons commons-text 1.9; res "$d" org/apache/commons/text
  apps_jar "$w/war/WEB-INF/lib/commons-text-1.9.jar" "$d" || return 1
  d=$w/log4j-api; pomdir "$d" org.apache.logging.log4j log4j-api 2.14.1; res "$d" org/apache/logging/log4j
  apps_jar "$w/war/WEB-INF/lib/log4j-api-2.14.1.jar" "$d" || return 1
  d=$w/struts; pomdir "$d" org.apache.struts struts2-core 2.5.20; res "$d" org/apache/struts2
  apps_jar "$w/war/WEB-INF/lib/struts2-core-2.5.20.jar" "$d" || return 1
  pomdir "$w/war" com.example webapp 1.0.0
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="5.0"/>\n' \
    > "$w/war/WEB-INF/web.xml"
  apps_jar "$j/webapp.war" "$w/war" || return 1
}

# ------------------------------------------------------------------ PHP
apps_fx_php() {  # OUT WORK: opt/app/php installed by composer from a local artifact repository
  local out=$1 w=$2 p=$2/app/php n v req d
  mkdir -p "$p" "$w/app/php-artifacts"
  while IFS='|' read -r n v req; do
    d=$w/src/${n//\//-}-$v; mkdir -p "$d/src"
    printf '{\n    "name": "%s",\n    "version": "%s",\n    "type": "library",\n    "license": "MIT",\n    "require": %s,\n    "autoload": {"psr-4": {"Fixture\\\\%s\\\\": "src/"}}\n}\n' \
      "$n" "$v" "$req" "$(echo "${n#*/}" | tr -cd 'a-zA-Z0-9')" > "$d/composer.json"
    printf '<?php\n// %s %s: palisade test fixture\n' "$n" "$v" > "$d/src/Fixture.php"
    find "$d" -exec touch -h -d "@$SDE" {} +
    (cd "$d" && TZ=UTC zip -qrX "$w/app/php-artifacts/${n//\//-}-$v.zip" .) || return 1
  done <<'PKGS'
psr/log|1.1.2|{"php": ">=5.3.0"}
monolog/monolog|1.25.1|{"php": ">=5.3.0", "psr/log": "~1.0"}
guzzlehttp/psr7|1.6.1|{"php": ">=5.4.0"}
guzzlehttp/guzzle|6.5.2|{"php": ">=5.5", "guzzlehttp/psr7": "^1.6.1"}
symfony/http-kernel|v4.4.0|{"php": "^7.1.3", "psr/log": "~1.0"}
phpunit/phpunit|8.5.0|{"php": "^7.2"}
PKGS
  cat > "$p/composer.json" <<'JSON'
{
    "name": "palisade/php-fixture",
    "type": "project",
    "require": {
        "guzzlehttp/guzzle": "6.5.2",
        "monolog/monolog": "1.25.1",
        "symfony/http-kernel": "v4.4.0"
    },
    "require-dev": {
        "phpunit/phpunit": "8.5.0"
    },
    "repositories": [
        {"type": "artifact", "url": "../php-artifacts"},
        {"packagist.org": false}
    ],
    "config": {"platform": {"php": "7.4.33"}}
}
JSON
  # the artifact repository (../php-artifacts, as composer.lock's dist urls say) is not in the image
  (cd "$p" && env COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_HOME="$w/composer-home" COMPOSER_CACHE_DIR="$w/composer-cache" \
     COMPOSER_DISABLE_NETWORK=1 composer install --quiet --no-interaction --no-progress) || return 1
  mkdir -p "$out/opt/app"; cp -a "$p" "$out/opt/app/php"
}

# ------------------------------------------------------------------ .NET
apps_fx_dotnet() {  # OUT WORK: no .NET SDK here: the files are written in the shapes the .NET 8 SDK
  # and NuGet write (deps.json of `dotnet publish`, packages.lock.json v1, packages.config). The
  # sha512/contentHash values are of a placeholder text, not of the real .nupkg (nuget.org is not
  # reachable); every id and version is real.
  local out=$1 w=$2
  mkdir -p "$out/opt/app/dotnet/api" "$out/opt/app/dotnet/src/Fixture.Worker" "$out/opt/app/dotnet/legacy"
  python3 - "$out/opt/app/dotnet" <<'PY'
import base64, hashlib, json, os, sys
root = sys.argv[1]
def h(name, version):  # base64 sha512, the form deps.json and packages.lock.json use
    return base64.b64encode(hashlib.sha512(f"palisade fixture {name} {version}".encode()).digest()).decode()
def dump(path, doc):
    with open(os.path.join(root, path), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
# App.deps.json: a framework-dependent .NET 8 app published with `dotnet publish`.
# Package -> (runtime assets, dependencies); {} assets = compile-time only (no file deployed).
PKGS = {
    "Newtonsoft.Json/12.0.1": ({"lib/netstandard2.0/Newtonsoft.Json.dll": {"assemblyVersion": "12.0.0.0", "fileVersion": "12.0.1.22727"}}, {}),
    "System.Text.Encodings.Web/4.5.0": ({"lib/netstandard2.0/System.Text.Encodings.Web.dll": {"assemblyVersion": "4.0.3.0", "fileVersion": "4.6.26515.6"}}, {}),
    "Portable.BouncyCastle/1.8.6.7": ({"lib/netstandard2.0/BouncyCastle.Crypto.dll": {"assemblyVersion": "1.8.6.0", "fileVersion": "1.8.6.7"}}, {}),
    "Microsoft.Extensions.Logging.Abstractions/8.0.0-rc.2.23479.6": ({"lib/net8.0/Microsoft.Extensions.Logging.Abstractions.dll": {"assemblyVersion": "8.0.0.0", "fileVersion": "8.0.23.47906"}}, {}),
    "Microsoft.NETCore.Platforms/1.1.0": ({}, {}),
    "NETStandard.Library/2.0.3": ({}, {"Microsoft.NETCore.Platforms": "1.1.0"}),
}
targets = {"Fixture.Api/1.0.0": {
    "dependencies": {"Newtonsoft.Json": "12.0.1", "System.Text.Encodings.Web": "4.5.0",
                     "Portable.BouncyCastle": "1.8.6.7", "NETStandard.Library": "2.0.3",
                     "Microsoft.Extensions.Logging.Abstractions": "8.0.0-rc.2.23479.6",
                     "Fixture.Core": "1.0.0"},
    "runtime": {"Fixture.Api.dll": {}}}}
for key, (runtime, deps) in PKGS.items():
    t = {}
    if deps:
        t["dependencies"] = deps
    if runtime:
        t["runtime"] = runtime
    targets[key] = t
targets["Fixture.Core/1.0.0"] = {"runtime": {"Fixture.Core.dll": {"assemblyVersion": "1.0.0.0", "fileVersion": "1.0.0.0"}}}
libraries = {"Fixture.Api/1.0.0": {"type": "project", "serviceable": False, "sha512": ""}}
for key in PKGS:
    name, version = key.split("/")
    libraries[key] = {"type": "package", "serviceable": True, "sha512": "sha512-" + h(name, version),
                      "path": f"{name.lower()}/{version.lower()}",
                      "hashPath": f"{name.lower()}.{version.lower()}.nupkg.sha512"}
libraries["Fixture.Core/1.0.0"] = {"type": "project", "serviceable": False, "sha512": ""}
dump("api/Fixture.Api.deps.json", {
    "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
    "compilationOptions": {},
    "targets": {".NETCoreApp,Version=v8.0": targets},
    "libraries": libraries})
for dll in ("Fixture.Api.dll", "Fixture.Core.dll", "Newtonsoft.Json.dll", "System.Text.Encodings.Web.dll",
            "BouncyCastle.Crypto.dll", "Microsoft.Extensions.Logging.Abstractions.dll"):
    open(os.path.join(root, "api", dll), "wb").write(b"MZ palisade fixture placeholder\n")
dump("api/Fixture.Api.runtimeconfig.json", {"runtimeOptions": {"tfm": "net8.0", "framework": {
    "name": "Microsoft.NETCore.App", "version": "8.0.0"}}})
# packages.lock.json (RestorePackagesWithLockFile), NuGet lock file version 1
def locked(typ, version, requested=None, deps=None):
    e = {"type": typ}
    if requested:
        e["requested"] = requested
    e["resolved"] = version
    e["contentHash"] = h("lock", version)
    if deps:
        e["dependencies"] = deps
    return e
dump("src/Fixture.Worker/packages.lock.json", {"version": 1, "dependencies": {"net8.0": {
    "Newtonsoft.Json": locked("Direct", "12.0.1", "[12.0.1, )"),
    "Serilog": locked("Direct", "2.10.0", "[2.10.0, )"),
    "System.Text.Encodings.Web": locked("Transitive", "4.5.0"),
    "Microsoft.Data.SqlClient": locked("Direct", "2.1.0", "[2.1.0, )", {"System.Text.Encodings.Web": "4.5.0"}),
    "fixture.core": {"type": "Project", "dependencies": {"Newtonsoft.Json": "[12.0.1, )"}},
}}})
# packages.config of a .NET Framework 4.7.2 web project
with open(os.path.join(root, "legacy/packages.config"), "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<packages>\n')
    for pid, ver, extra in (("bootstrap", "3.4.1", ""), ("jQuery", "3.4.1", ""),
                            ("log4net", "2.0.8", ""), ("Microsoft.AspNet.Mvc", "5.2.7", ""),
                            ("Microsoft.CodeDom.Providers.DotNetCompilerPlatform", "2.0.1",
                             ' developmentDependency="true"'),
                            ("Newtonsoft.Json", "11.0.2", "")):
        f.write(f'  <package id="{pid}" version="{ver}" targetFramework="net472"{extra} />\n')
    f.write("</packages>\n")
PY
}

# ------------------------------------------------------------------ Node.js
apps_node_tools() {  # yarn classic, yarn berry (@yarnpkg/cli-dist) and pnpm from npm, in $APPS_TOOLS/node
  local t=$APPS_TOOLS/node want="yarn@$APPS_YARN1 @yarnpkg/cli-dist@$APPS_BERRY pnpm@$APPS_PNPM"
  [ "$(cat "$t/.versions" 2>/dev/null)" = "$want" ] && return 0
  say "apps: npm install $want"
  rm -rf "$t"; mkdir -p "$t"
  (cd "$t" && echo '{"private": true}' > package.json \
     && npm install --cache "$CACHE/npm" --no-audit --no-fund --loglevel=error $want >/dev/null) \
    || die "apps: npm install $want failed"
  echo "$want" > "$t/.versions"
}

apps_fx_node() {  # OUT WORK: yarn.lock (classic, `yarn install`), yarn.lock (berry, `yarn install
  # --mode=update-lockfile`) and pnpm-lock.yaml (`pnpm install --lockfile-only`), each with package.json
  local out=$1 w=$2 t=$APPS_TOOLS/node/node_modules a
  mkdir -p "$w"
  export npm_config_cache=$CACHE/npm
  a=$out/opt/app/yarn; mkdir -p "$a"
  cat > "$a/package.json" <<'JSON'
{
  "name": "palisade-yarn-fixture",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "axios": "0.21.0",
    "minimist": "0.0.8",
    "node-fetch": "2.6.0"
  },
  "devDependencies": {
    "prettier": "2.0.0"
  }
}
JSON
  (cd "$a" && node "$t/yarn/bin/yarn.js" install --ignore-scripts --non-interactive --no-progress --silent \
     --cache-folder "$CACHE/yarn" --modules-folder "$w/yarn-node_modules" >/dev/null) || return 1
  a=$out/opt/app/yarn-berry; mkdir -p "$a"
  cat > "$a/package.json" <<'JSON'
{
  "name": "palisade-berry-fixture",
  "version": "1.0.0",
  "private": true,
  "packageManager": "yarn@4.5.3",
  "dependencies": {
    "@xmldom/xmldom": "0.7.5",
    "jquery": "3.4.1",
    "lodash": "4.17.20"
  },
  "devDependencies": {
    "typescript": "4.0.2"
  }
}
JSON
  : > "$a/yarn.lock"
  (cd "$a" && env YARN_ENABLE_GLOBAL_CACHE=false YARN_CACHE_FOLDER="$CACHE/yarn-berry" YARN_ENABLE_TELEMETRY=0 \
     YARN_ENABLE_IMMUTABLE_INSTALLS=false YARN_ENABLE_PROGRESS_BARS=false YARN_IGNORE_PATH=1 COREPACK_ENABLE_STRICT=0 \
     node "$t/@yarnpkg/cli-dist/bin/yarn.js" install --mode=update-lockfile >"$w/berry.log") \
    || { cat "$w/berry.log" >&2; return 1; }
  rm -rf "$a/.yarn" "$a/.pnp.cjs" "$a/.pnp.loader.mjs" "$a/node_modules"
  a=$out/opt/app/pnpm; mkdir -p "$a"
  cat > "$a/package.json" <<'JSON'
{
  "name": "palisade-pnpm-fixture",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "json5": "2.1.0",
    "qs": "6.5.2",
    "semver": "5.7.1"
  },
  "devDependencies": {
    "prettier": "2.0.0"
  }
}
JSON
  (cd "$a" && node "$t/pnpm/bin/pnpm.cjs" install --lockfile-only --ignore-scripts --reporter=silent \
     --store-dir "$CACHE/pnpm-store" >/dev/null) || return 1
}

# ------------------------------------------------------------------ Python
apps_python_tools() {  # poetry and pipenv in a venv, $APPS_TOOLS/pyvenv
  local v=$APPS_TOOLS/pyvenv want="poetry==$APPS_POETRY pipenv==$APPS_PIPENV"
  [ "$(cat "$v/.versions" 2>/dev/null)" = "$want" ] && return 0
  say "apps: pip install $want"
  rm -rf "$v"
  python3 -m venv "$v" || die "apps: python3 -m venv failed"
  PIP_CACHE_DIR=$CACHE/pip PIP_DISABLE_PIP_VERSION_CHECK=1 "$v/bin/pip" install -q $want \
    || die "apps: pip install $want failed"
  echo "$want" > "$v/.versions"
}

apps_fx_python() {  # OUT WORK: poetry.lock (`poetry lock`) and Pipfile.lock (`pipenv lock`) from PyPI
  local out=$1 w=$2 v=$APPS_TOOLS/pyvenv/bin a
  mkdir -p "$w"
  a=$out/opt/app/poetry; mkdir -p "$a"
  cat > "$a/pyproject.toml" <<'TOML'
[project]
name = "palisade-poetry-fixture"
version = "1.0.0"
requires-python = ">=3.8,<4"
dependencies = [
    "requests (==2.19.0)",
    "django (==3.2.0)",
]

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
pytest = "6.2.0"
TOML
  (cd "$a" && env POETRY_CACHE_DIR="$w/poetry-cache" POETRY_VIRTUALENVS_CREATE=false POETRY_NO_INTERACTION=1 \
     PIP_CACHE_DIR="$CACHE/pip" "$v/poetry" lock -q) || return 1
  a=$w/pipenv; mkdir -p "$a"
  cat > "$a/Pipfile" <<'TOML'
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
flask = "==1.0"
werkzeug = "==0.15.2"
jinja2 = "==2.10.1"
itsdangerous = "==1.1.0"
click = "==7.0"
markupsafe = "==1.1.1"
pyyaml = "==5.3"

[dev-packages]
pytest = "==6.2.0"

[requires]
python_version = "3.11"
TOML
  (cd "$a" && env PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_YES=1 PIPENV_IGNORE_VIRTUALENVS=1 \
     PIPENV_VERBOSITY=-1 PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 \
     "$v/pipenv" lock --python "$(command -v python3)" >"$w/pipenv.log" 2>&1) || { cat "$w/pipenv.log" >&2; return 1; }
  mkdir -p "$out/opt/app/pipenv"
  cp "$a/Pipfile" "$a/Pipfile.lock" "$out/opt/app/pipenv/"
}

# ------------------------------------------------------------------ the image
apps_layer() {  # apps_layer DIR CREATED_BY: DIR's tree as an uncompressed layer on the apps tag
  local tarf=$BUILD/b-apps/layer.tar
  (cd "$1" && tar_layer "$tarf" "$1" $(ls -A))
  umoci raw add-layer --image "$LAYOUT:apps" --history.created "$ISO" --history.author "$AUTHOR" \
    --history.created_by "$2" "$tarf"
  rm -f "$tarf"
}

apps_repack() {  # apps_repack BUNDLE CREATED_BY: the bundle's changes as a layer; the bundle then
  # stands for the new image, so the next repack makes the next layer
  tidy_rootfs "$1/rootfs"
  umoci repack --refresh-bundle --image "$LAYOUT:apps" --history.created "$ISO" --history.author "$AUTHOR" \
    --history.created_by "$2" "$1"
}

build_apps() {
  ensure_minbase_tag
  apps_host_tools
  local b=$BUILD/b-apps r m s um k
  r=$b/bundle/rootfs
  rm -rf "$b"; mkdir -p "$b"
  um=$(umask); umask 022
  m=$b/manifest.tsv; : > "$m"
  umoci unpack --image "$LAYOUT:minbase" "$b/bundle" >/dev/null

  # Ruby: Debian's ruby (its default and bundled gems' specs are dpkg-owned) + gems + Gemfile.lock
  apps_apt "$r" ruby
  say "apps: ruby installed in the chroot"
  apps_cached ruby apps_fx_ruby "$b/ruby" "$(ruby --version)" "$(gem --version)" "$(bundle --version)"
  cp -a "$b/ruby/." "$r/"
  apps_repack "$b/bundle" "/bin/sh -c apt-get install -y --no-install-recommends ruby && gem install --local --ignore-dependencies --install-dir /usr/local/bundle *.gem && cd /opt/app/ruby && bundle lock --local"

  # Java: a Debian jar (libcommons-lang3-java: pom.properties, dpkg-owned) + archives made by `jar`
  apps_apt "$r" libcommons-lang3-java
  apps_cached java apps_fx_java "$b/java" "$(jar --version 2>&1)" "$(declare -f apps_jar)"
  cp -a "$b/java/." "$r/"
  apps_repack "$b/bundle" "/bin/sh -c apt-get install -y --no-install-recommends libcommons-lang3-java && cp -r java /opt/app/java"
  # every reader over the whole root: also finds what Debian's packages ship (typeprof's package-lock.json)
  python3 "$ROOT/scripts/apps_manifest.py" all "$r" "$r/var/lib/dpkg/info" >> "$m"
  dpkg_tsv "$r" "$OUTDIR/manifests/apps.dpkg.tsv"
  say "apps: ruby and java layers done"

  # PHP, .NET, Node.js, Python: files only, each a layer of its own
  apps_cached php apps_fx_php "$b/php" "$(composer --version 2>/dev/null)" "$(php -r 'echo PHP_VERSION;')"
  python3 "$ROOT/scripts/apps_manifest.py" php "$b/php" >> "$m"
  apps_layer "$b/php" "/bin/sh -c cd /opt/app/php && composer install"
  apps_cached dotnet apps_fx_dotnet "$b/dotnet"
  python3 "$ROOT/scripts/apps_manifest.py" dotnet "$b/dotnet" >> "$m"
  apps_layer "$b/dotnet" "/bin/sh -c #(nop) COPY dotnet /opt/app/dotnet (dotnet publish; packages.lock.json; packages.config)"
  k=$APPS_YARN1/$APPS_BERRY/$APPS_PNPM
  if ! apps_cached_hit node apps_fx_node "$k" "$(node --version)"; then apps_node_tools; fi
  apps_cached node apps_fx_node "$b/node" "$k" "$(node --version)"
  python3 "$ROOT/scripts/apps_manifest.py" node "$b/node" >> "$m"
  apps_layer "$b/node" "/bin/sh -c yarn install && yarn@4 install --mode=update-lockfile && pnpm install --lockfile-only"
  k=$APPS_POETRY/$APPS_PIPENV
  if ! apps_cached_hit python apps_fx_python "$k" "$(python3 --version)"; then apps_python_tools; fi
  apps_cached python apps_fx_python "$b/python" "$k" "$(python3 --version)"
  python3 "$ROOT/scripts/apps_manifest.py" python "$b/python" >> "$m"
  apps_layer "$b/python" "/bin/sh -c poetry lock && pipenv lock"
  say "apps: php, dotnet, node and python layers done"

  set_config apps amd64 apps --config.workingdir /opt/app
  { printf '# generated by scripts/build-test-images.sh (scripts/apps_manifest.py): Type\tName\tVersion\tPath\tScope\n'
    LC_ALL=C sort -u "$m"; } > "$OUTDIR/manifests/apps.tsv"
  export_image apps apps
  umask "$um"
  rm -rf "$b"
}

apps_cached_hit() {  # apps_cached_hit NAME FUNC [KEY...]: whether apps_cached has the output already
  local name=$1 fn=$2 key; shift 2
  key=$( { declare -f "$fn"; printf '%s\n' "$@"; } | sha256sum | cut -c1-16)
  [ -f "$CACHE/apps/$name-$key.tar" ]
}
