/* softmax family */
#include "../mk.h"

void mk_register_softmax(void) {
}
