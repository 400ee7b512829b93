/* Strata bench: empty stand-in for librdkafka's internal src/rdtime.h (everything the
 * rdkafka_performance example needs from it is in rd.h). See bench/lib/rdkafka-build.mjs. */
#pragma once
