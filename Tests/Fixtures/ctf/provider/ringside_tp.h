/*
 * Tracepoint provider of ringside's test fixtures: one event per kind of field LTTng-UST can
 * write, so the recorded traces exercise every CTF type the CTF reader must decode.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER ringside

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./ringside_tp.h"

#if !defined(RINGSIDE_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define RINGSIDE_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

LTTNG_UST_TRACEPOINT_ENUM(ringside, color,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("RED", 0)
        lttng_ust_field_enum_value("GREEN", 1)
        lttng_ust_field_enum_range("BLUE_RANGE", 2, 9)
        lttng_ust_field_enum_auto("AUTO_AFTER_RANGE")
        lttng_ust_field_enum_range("OVERLAP", 5, 6)
        lttng_ust_field_enum_value("HUNDRED", 100)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(ringside, signed_state,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("MINUS_TWO", -2)
        lttng_ust_field_enum_range("NEGATIVE", -100, -3)
        lttng_ust_field_enum_value("ZERO", 0)
        lttng_ust_field_enum_auto("ONE")
        lttng_ust_field_enum_range("BIG", 1000, 2147483647)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(ringside, integers,
    LTTNG_UST_TP_ARGS(int64_t, seed),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int8_t, s8, (int8_t) seed)
        lttng_ust_field_integer(uint8_t, u8, (uint8_t) seed)
        lttng_ust_field_integer(int16_t, s16, (int16_t) (seed * 131))
        lttng_ust_field_integer(uint16_t, u16, (uint16_t) (seed * 131))
        lttng_ust_field_integer(int32_t, s32, (int32_t) (seed * 100003))
        lttng_ust_field_integer(uint32_t, u32, (uint32_t) (seed * 100003))
        lttng_ust_field_integer(int64_t, s64, seed * 1000000007LL)
        lttng_ust_field_integer(uint64_t, u64, (uint64_t) seed * 1000000007ULL)
        lttng_ust_field_integer(int64_t, s64_min, INT64_MIN)
        lttng_ust_field_integer(uint64_t, u64_max, UINT64_MAX)
        lttng_ust_field_integer(int8_t, s8_min, INT8_MIN)
        lttng_ust_field_integer_hex(int8_t, x8, (int8_t) seed)
        lttng_ust_field_integer_hex(uint16_t, x16, (uint16_t) (seed * 4099))
        lttng_ust_field_integer_hex(int32_t, x32, (int32_t) -seed)
        lttng_ust_field_integer_hex(uint64_t, x64, (uint64_t) seed << 40)
        lttng_ust_field_integer_network(int16_t, n16, (int16_t) (seed * 257))
        lttng_ust_field_integer_network(uint32_t, n32, (uint32_t) (seed * 16843009))
        lttng_ust_field_integer_network(int64_t, n64, -seed * 72340172838076673LL)
        lttng_ust_field_integer_network_hex(uint32_t, nx32, (uint32_t) (0xC0A80000 + seed))
        lttng_ust_field_integer(char, ch, (char) ('A' + seed % 26))
        lttng_ust_field_integer(long, lng, (long) -seed)
        lttng_ust_field_integer(unsigned long, ulng, (unsigned long) seed)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(ringside, floats,
    LTTNG_UST_TP_ARGS(float, f, double, d),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_float(float, f32, f)
        lttng_ust_field_float(double, f64, d)
        lttng_ust_field_float(double, f64_scaled, d * 1e300)
        lttng_ust_field_float(double, f64_tiny, d * 1e-310)
        lttng_ust_field_float(float, f32_neg, -f)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(ringside, strings,
    LTTNG_UST_TP_ARGS(const char *, text, const char *, other),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_string(text, text)
        lttng_ust_field_string(other, other)
        lttng_ust_field_string(empty, "")
    )
)

LTTNG_UST_TRACEPOINT_EVENT(ringside, arrays,
    LTTNG_UST_TP_ARGS(const int32_t *, values, const uint8_t *, bytes, const char *, text,
                      unsigned int, count),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_array(int32_t, values, values, 4)
        lttng_ust_field_array_hex(uint8_t, bytes, bytes, 5)
        lttng_ust_field_array_network(uint16_t, net, (const uint16_t *) bytes, 2)
        lttng_ust_field_array_text(char, text, text, 8)
        lttng_ust_field_sequence(int32_t, seq, values, unsigned int, count)
        lttng_ust_field_sequence_hex(uint8_t, seq_hex, bytes, uint8_t, (uint8_t) (count + 1))
        lttng_ust_field_sequence_network(int16_t, seq_net, (const int16_t *) values, uint16_t, (uint16_t) count)
        lttng_ust_field_sequence_text(char, seq_text, text, size_t, (size_t) count + 1)
        lttng_ust_field_array(int64_t, empty_array, values, 0)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(ringside, enums,
    LTTNG_UST_TP_ARGS(int, color, int, state),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_enum(ringside, color, int, color, color)
        lttng_ust_field_enum(ringside, signed_state, int32_t, state, state)
        lttng_ust_field_enum(ringside, color, uint8_t, small_color, (uint8_t) color)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(ringside, tick,
    LTTNG_UST_TP_ARGS(uint64_t, n, int, cpu, const char *, label),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, n, n)
        lttng_ust_field_integer(int, cpu, cpu)
        lttng_ust_field_integer_hex(uint32_t, mask, (uint32_t) (n * 2654435761u))
        lttng_ust_field_string(label, label)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(ringside, annotated,
    LTTNG_UST_TP_ARGS(int, level),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int, level, level)
    )
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(ringside, annotated, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)
LTTNG_UST_TRACEPOINT_MODEL_EMF_URI(ringside, annotated, "http://example.com/ringside#annotated")

#endif /* RINGSIDE_TP_H */

#include <lttng/tracepoint-event.h>
