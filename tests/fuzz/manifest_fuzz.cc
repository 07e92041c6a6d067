// SageMaker manifests: the plain manifest (a JSON array) and the augmented manifest (JSON
// Lines) with one or two attribute names.
#include "fuzz_input.h"
#include "train/channel_objects.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::train;
  ferry::fuzz::FuzzInput in(data, size);
  const uint8_t which = in.Byte();
  std::string_view text = in.Rest();
  if (which & 1) {
    (void)ParseManifest(text);
  } else {
    std::vector<std::string> attributes = {"source-ref"};
    if (which & 2) attributes.push_back("label");
    (void)ParseAugmentedManifest(text, attributes);
  }
  return 0;
}
