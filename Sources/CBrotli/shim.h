// libbrotli's decoder, imported into Swift as the CBrotli module (HTTP `br` bodies).
#include <brotli/decode.h>
