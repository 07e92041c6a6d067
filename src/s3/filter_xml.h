// The <Filter> element that lifecycle rules and Intelligent-Tiering configurations share: one
// condition (Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan) or an <And> of several.
// Internal to s3/.
#pragma once

#include <pugixml.hpp>

#include "ferry/result.h"
#include "s3/lifecycle.h"

namespace ferry::s3 {

// MalformedXML for two conditions outside <And> or a non-number, InvalidArgument for size
// bounds that select nothing, InvalidRequest for a tag key given twice.
Result<LifecycleFilter> ReadFilterElement(pugi::xml_node filter);
// Fills an empty <Filter> element.
void WriteFilterElement(pugi::xml_node filter, const LifecycleFilter& f);

}  // namespace ferry::s3
