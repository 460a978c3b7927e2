# node-gyp's build description of original_dst.node (see README.md, "Building").
# Built by native/build.mjs (the package's install script) with npm's bundled
# node-gyp, against Node's headers found locally: never downloaded.
{
  "targets": [
    {
      "target_name": "original_dst",
      "sources": ["native/original_dst.c"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-Werror=int-conversion"]
    }
  ]
}
