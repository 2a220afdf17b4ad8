// libbrotli's encoder, for tests only: they compress bodies the decoder must read.
#include <brotli/encode.h>
