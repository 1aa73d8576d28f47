/// @file
/// Symbol visibility for libnsutil. The library is built with hidden symbols by default (and
/// hidden inline functions); only declarations marked NSUTIL_API are part of its ABI.
#pragma once

/// Exports a function, or a class with its typeinfo, vtable and out-of-line members.
#define NSUTIL_API __attribute__((visibility("default")))

/// Keeps a private member function of an NSUTIL_API class out of the ABI: callers cannot name
/// it, so the library may change or drop it without breaking them.
#define NSUTIL_LOCAL __attribute__((visibility("hidden")))
