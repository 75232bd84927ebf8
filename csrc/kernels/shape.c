/* shape family */
#include "../mk.h"

void mk_register_shape(void) {
}
