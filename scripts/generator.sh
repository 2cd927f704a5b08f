# Sourced by the build scripts: sets `generator` to (-G Ninja) for a new build directory
# ($build_dir, default build) when ninja is installed (it keeps both cores busy to the end of a
# build, where make waits on one directory at a time: a clean build in a fifth less time), and to
# () for an existing one, which keeps the generator it was made with.
generator=()
if [[ ! -f ${build_dir:-build}/CMakeCache.txt ]] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
