/* Fuzz target: YAML configuration files (hostile: aliases, depth, odd scalars) into JSON values. */
#include <jansson.h>
#include <stdint.h>

#include "common/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *value = NULL;

	if (cv_yaml_to_json((const char *)data, size, &value) == 0)
		json_decref(value);
	return 0;
}
