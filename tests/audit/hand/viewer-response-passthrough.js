// A viewer-response function that adds CORS headers for its allowlist, and leaves whatever
// the origin sent for every other origin.
var ALLOWED = {'https://www.example.com': true};
function handler(event) {
  var response = event.response;
  var origin = event.request.headers.origin;
  if (origin && ALLOWED[origin.value]) {
    response.headers['access-control-allow-origin'] = { value: origin.value };
    response.headers['vary'] = { value: 'Origin' };
  }
  return response;
}
