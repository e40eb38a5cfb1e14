# CRC32C and the record framing built on it (src/common).
wk_add_test(NAME crc32c SOURCES test_crc32c.c LIBS wk_common LABELS unit
  TIMEOUT 120)
wk_add_test(NAME record SOURCES test_record.c LIBS wk_common LABELS unit
  TIMEOUT 60)
