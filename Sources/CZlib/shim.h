// The system zlib, imported into Swift as the CZlib module (HTTP gzip/deflate bodies).
#include <zlib.h>
