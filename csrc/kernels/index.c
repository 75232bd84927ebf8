/* index family */
#include "../mk.h"

void mk_register_index(void) {
}
