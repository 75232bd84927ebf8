/* reduce family */
#include "../mk.h"

void mk_register_reduce(void) {
}
