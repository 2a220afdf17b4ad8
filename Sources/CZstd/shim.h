// libzstd, imported into Swift as the CZstd module (HTTP `zstd` bodies).
#include <zstd.h>
#include <zstd_errors.h>
