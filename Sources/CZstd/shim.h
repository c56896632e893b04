// Umbrella for libzstd. Only the Codecs module imports this.
#include <zstd.h>
#include <zstd_errors.h>
