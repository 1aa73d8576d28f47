/// @file
/// Symbol visibility for libnsutil. The library is built with hidden symbols by default;
/// only declarations marked NSUTIL_API are part of its ABI.
#pragma once

#define NSUTIL_API __attribute__((visibility("default")))
