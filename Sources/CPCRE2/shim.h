// PCRE2 (8-bit code units), imported into Swift as the CPCRE2 module: the
// content scanner's regular expressions. pcre2.h refuses to compile unless
// the code-unit width is defined first, and module maps cannot define macros.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

// Macros Swift does not import, as functions.
static inline size_t plainsight_pcre2_unset(void) { return PCRE2_UNSET; }
