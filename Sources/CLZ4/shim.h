// Umbrella for liblz4's frame API. Only the Codecs module imports this.
#include <lz4.h>
#include <lz4frame.h>
