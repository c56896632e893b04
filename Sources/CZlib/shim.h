// Umbrella for zlib. Only the Codecs module imports this.
#include <zlib.h>

// inflateInit2 is a macro that passes the library version and the stream size; Swift
// cannot call macros, so this typed wrapper does it. windowBits 15+32 auto-detects
// gzip or zlib headers (15+16 would accept gzip only).
static inline int czlib_inflate_init_gzip(z_stream *strm) {
    return inflateInit2(strm, 15 + 32);
}
