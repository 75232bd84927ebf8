/* random family */
#include "../mk.h"

void mk_register_random(void) {
}
