function handler(event) {
  var response = event.response;
  var origin = event.request.headers.origin;
  if (origin) {
    response.headers['access-control-allow-origin'] = { value: origin.value };
    response.headers['access-control-allow-credentials'] = { value: 'true' };
  }
  return response;
}
